# Deadlist Kdlist(6, 4)'s tail chains back to its head, rehashed.
set --rehash dlist(6,4,1) chain dlist(6,4)
