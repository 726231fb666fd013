# On gefs-mkcase's low nextgen: superblock copy 0 loses its magic too.
poke sb(0) 0 58585858
