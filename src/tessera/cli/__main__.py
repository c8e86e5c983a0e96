"""`python -m tessera.cli`."""

from tessera.cli.main import app

app()
