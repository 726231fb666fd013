# A bit of the first entry of deadlist Kdlist(6, 4)'s head block flipped
# (byte 43, mask 0x40), its logh left: the body no longer matches.
flip dlist(6,4) 345
