"""Cryptographic building blocks: secrets and digests, passwords, signing keys, JWTs."""
