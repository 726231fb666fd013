# Copy 1's nextqid raised by 5 (the base image has 0x23), rehashed: both
# copies valid, and different.
set --rehash sb(1) nextqid 0x28
