"""One module per endpoint group; the route table is web/routes.py."""
