# Superblock copy 0 loses its magic: gefs-fsck falls back on copy 1.
poke sb(0) 0 58585858
