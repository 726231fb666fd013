# On gefs-mkcase's dangling label: arena 2's first log block retyped too.
poke log(2) 0 04
