"""tessera: a self-hostable OAuth 2.1 / OpenID Connect authorization server."""

# The one place the version is written: pyproject.toml reads it (`dynamic = ["version"]`),
# so the wheel's metadata, `tessera --version` and the `tessera serve` banner all agree.
__version__ = "0.2.0.dev0"
