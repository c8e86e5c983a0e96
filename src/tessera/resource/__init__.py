"""Bearer-token validation for resource servers (RFC 6750, RFC 9068); needs only tessera.crypto."""
