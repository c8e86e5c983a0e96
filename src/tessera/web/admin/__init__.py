"""The admin API over HTTP (`/admin/v1/`): one module per resource, `common` for what
they share (the bearer token, problem details, pages, versions)."""
