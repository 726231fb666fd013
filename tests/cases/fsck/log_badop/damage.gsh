# The first entry of arena 3's first log block gets the undefined op 9.
poke log(3) 43 09
