# Both superblocks say the snapshot tree has height 0, rehashed (fatal).
set --rehash sb(0) snap.ht 0
set --rehash sb(1) snap.ht 0
