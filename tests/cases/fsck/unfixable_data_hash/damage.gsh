# A byte of the first data block of main (qid 0xa, the lowest with data)
# changed under its pointer's hash.
poke data(main:/f000cmg6teg7go9i91kc.on.sqqtohv242pa9.a) 5 5a
