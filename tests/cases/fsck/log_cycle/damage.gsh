# On gefs-mkcase's long log (2,500 alloc/free pairs in arena 0): the
# second log block chains back to the first.
set log(0,1) chain log(0,0)
