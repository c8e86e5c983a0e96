"""Protocol logic: requests, grants, PKCE, tokens, errors and the storage ports.

Nothing here knows HTTP or SQL; time, randomness and configuration are passed in.
"""
