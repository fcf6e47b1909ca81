"""The PostgreSQL QR page and search through PgBouncer in transaction pooling mode (`--pgbouncer`), next
to the same scenarios straight to PostgreSQL (`--only pgbouncer` runs just these, with hello world).

PgBouncer (bench/servers.py `PgBouncer`) listens on a free port in front of the bench database's server;
the app gets DATABASE_URL through it and DATABASE_PGBOUNCER=1 (no server-side prepared statements,
registry/replica.py). Its CPU is counted with the app's: it is part of what serves each request.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url

from bench import servers

SCENARIOS = (("QR page /m/<code>", "qr", "random public shops, ?s=<serial>"),
             ("search, 2 characters", "search2", "2-character pieces of random shop names"),
             ("search, 1 character", "search1", "1 character of random shop names"))


def measure_set(bench, backend: str, database_url: str, urls: dict, extra_env: dict, also: list) -> None:
    env = {**bench.app_env(database_url), **extra_env}
    with servers.gunicorn(f"app-{backend}", "wsgi:app", env, bench.workdir, bench.args.workers,
                          ready_path="/m/bench-ready-check") as server:
        for scenario, key, note in SCENARIOS:
            bench.measure(scenario, backend, server.port, urls[key], note, [server, *also])


def through_pgbouncer(bench, database_url: str, urls: dict) -> None:
    """The scenarios with the app connected through a PgBouncer started here."""
    url = make_url(database_url)
    with servers.PgBouncer("bench", url.host or "127.0.0.1", url.port or 5432, bench.workdir) as bouncer:
        measure_set(bench, "pg+pgbouncer", bouncer.url(url.database), urls, {"DATABASE_PGBOUNCER": "1"}, [bouncer])


def compare(bench, database_url: str, urls: dict) -> None:
    """`--only pgbouncer`: hello world, the scenarios straight to PostgreSQL, then through PgBouncer, hello."""
    bench.hello("start", urls)
    measure_set(bench, "postgresql", database_url, urls, {}, [])
    through_pgbouncer(bench, database_url, urls)
    bench.hello("end", urls)
