# On gefs-mkcase's long log: the second log block chains out of arena 0,
# to arena 3's footer.
set log(0,1) chain ftr(3)
