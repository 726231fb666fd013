# A byte of adm's root leaf changed under its pointer's hash.
poke root(adm) 300 5a
