"""The admin API's use cases (`/admin/v1/`): who may call it, and what each resource does.

`access` decides whether a bearer token may read or change; `pages` and `versions` are
the keyset cursors and entity versions every resource shares; one module per resource
runs its operation in one transaction and audits the change with its actor.
"""
