"""The HTTP layer: Starlette routes, pages, cookies and headers. Thin: decisions are core's."""
