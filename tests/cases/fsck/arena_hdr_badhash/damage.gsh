# Arena 1's header changed under the superblocks' arena-table hash.
set hdr(1) used 0x5858585858585858
