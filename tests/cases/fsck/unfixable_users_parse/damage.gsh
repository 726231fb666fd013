# The users file names an undefined member: "glenda" (byte 13) becomes
# "glendx", rehashed.
poke --rehash data(adm:/users) 13 78
