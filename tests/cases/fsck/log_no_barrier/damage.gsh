# The replay barrier qgen raised to 50 (the base image has 0) in both
# copies, rehashed: no log holds a sync that high.
set --rehash sb(0) qgen 50
set --rehash sb(1) qgen 50
