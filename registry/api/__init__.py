"""The public read-only JSON API (/api/v1) with its OpenAPI 3.1 document."""
