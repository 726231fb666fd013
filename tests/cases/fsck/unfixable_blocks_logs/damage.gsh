# On gefs-mkcase's freed root of main (a log fault): a byte of adm's root
# leaf changed under its pointer's hash (a block fault).
poke root(adm) 300 5a
