"""The maintenance fund at the HTTP edge: routes, pages, schemas, formats."""
