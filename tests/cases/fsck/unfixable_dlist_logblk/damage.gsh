# Deadlist Kdlist(6, 4)'s first entry names arena 0's allocation-log head,
# rehashed.
set --rehash dlist(6,4) blocks[0] log(0)
