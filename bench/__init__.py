"""Load benchmarks for tessera against node-oidc-provider, on loopback.

The driver speaks plain HTTP/1.1 to any OpenID provider it is pointed at (endpoints come
from discovery), so both servers run the same flows from the same client in one run.
The headline figure is the server's CPU time per operation, read from /proc: on a shared,
noisy machine it holds still while wall-clock rates swing.
"""
