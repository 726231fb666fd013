# Arena 1's first log block: half of its logh overwritten.
poke log(1) 4 58585858
