# Arena 2's first log block gets type 0x04xx.
poke log(2) 0 04
