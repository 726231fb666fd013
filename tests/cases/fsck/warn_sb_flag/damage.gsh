# Both superblocks get the undefined flag bit 1, rehashed.
set --rehash sb(0) flag 1
set --rehash sb(1) flag 1
