"""Long work off the request path: a job row with its progress, run by an RQ worker (or in-process without Redis)."""
