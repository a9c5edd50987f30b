"""The routers of /api/v1."""
