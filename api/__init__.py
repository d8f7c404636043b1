"""The HTTP edge: FastAPI routers, schemas, auth and problem+json errors; no SQL, no business rules."""
