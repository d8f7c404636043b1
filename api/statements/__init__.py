"""Public statements at the HTTP edge: routes, the page, schemas, the rendered cache."""
