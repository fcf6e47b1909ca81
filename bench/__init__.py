"""Province-scale benchmark of the registry: `make bench SIZE=100000` (see bench/README.md)."""
