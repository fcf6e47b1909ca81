"""Outgoing SMS: a pluggable sender (an outbox in development and tests, a provider in production),
fed by a queue in ``outbox_messages`` that is delivered only after the sending transaction commits
(outbox.py)."""
