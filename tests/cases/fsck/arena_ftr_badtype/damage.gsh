# Arena 2's footer gets an undefined block type.
poke ftr(2) 0 7f7f
