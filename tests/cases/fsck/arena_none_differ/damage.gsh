# Arena 1's table hash NONE in both superblocks (as after a grow), and
# its header and footer differing.
set --rehash sb(0) arena[1].hash 0xffffffffffffffff
set --rehash sb(1) arena[1].hash 0xffffffffffffffff
poke ftr(1) 26 01
