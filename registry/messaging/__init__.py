"""Outgoing SMS: a pluggable sender (an outbox in development and tests, a provider in production)."""
