"""The database itself refuses UPDATE and DELETE on audit_entries (append-only), on SQLite and PostgreSQL.

The hash chain finds tampering after the fact; these triggers stop the application, a buggy
migration or a careless `UPDATE` at the console from changing history in the first place. Someone
with the rights to drop a trigger can still tamper, and the chain check then names the entry.

`install()` attaches the statements to the table's "after_create" event, so `db.create_all()`
(tests, a fresh development database) builds them; migrations run the same statements:

    from registry.audit.triggers import downgrade_statements, upgrade_statements

    def upgrade():
        for statement in upgrade_statements(op.get_bind().dialect.name):
            op.execute(statement)

    def downgrade():
        for statement in downgrade_statements(op.get_bind().dialect.name):
            op.execute(statement)

Note for SQLite migrations: batch mode rebuilds a table by copying it, which drops its triggers;
a migration that batch-alters audit_entries must run upgrade_statements("sqlite") again afterwards.
"""

from __future__ import annotations

from sqlalchemy import DDL, Table, event

MESSAGE = "audit entries are append-only"

SQLITE_UPGRADE = (
    "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
)
SQLITE_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS audit_entries_no_delete",
    "DROP TRIGGER IF EXISTS audit_entries_no_update",
)

POSTGRESQL_UPGRADE = (
    "CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege'; END; $$",
    # Row triggers catch UPDATE and DELETE; TRUNCATE bypasses them, so it gets a statement trigger.
    "CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries "
    "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()",
    "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()",
)
POSTGRESQL_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries",
    "DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries",
    "DROP FUNCTION IF EXISTS audit_entries_append_only()",
)

_UPGRADE = {"sqlite": SQLITE_UPGRADE, "postgresql": POSTGRESQL_UPGRADE}
_DOWNGRADE = {"sqlite": SQLITE_DOWNGRADE, "postgresql": POSTGRESQL_DOWNGRADE}


def upgrade_statements(dialect_name: str) -> tuple[str, ...]:
    """The statements that make audit_entries append-only on this database."""
    return _UPGRADE[dialect_name]


def downgrade_statements(dialect_name: str) -> tuple[str, ...]:
    """The statements that remove the protection again (migration downgrade; tests that tamper)."""
    return _DOWNGRADE[dialect_name]


def install(table: Table) -> None:
    """Create the triggers whenever metadata creates the table; drop the PostgreSQL function with it."""
    for dialect, statements in _UPGRADE.items():
        for statement in statements:
            event.listen(table, "after_create", DDL(statement).execute_if(dialect=dialect))
    # DROP TABLE removes the triggers; the function outlives it on PostgreSQL.
    event.listen(table, "after_drop",
                 DDL("DROP FUNCTION IF EXISTS audit_entries_append_only()").execute_if(dialect="postgresql"))
