"""gunicorn settings for 诚信码: `gunicorn -c gunicorn.conf.py wsgi:app` (gunicorn reads this file by default
from the working directory). Every value can be overridden from the environment, named below.

Sync workers: each handles one request at a time, which suits a page that spends its time in Python and
a few short queries. Put nginx in front (deploy/nginx.conf): it buffers slow mobile clients, so a worker
is never held by a phone on a weak network, and it serves /static itself.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# Behind nginx on the same host: a unix socket or 127.0.0.1, never a public address.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
worker_class = "sync"
# 2 × cores + 1 is gunicorn's rule of thumb for sync workers; WEB_CONCURRENCY overrides it.
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
# Connections waiting for a free worker (nginx queues the rest).
backlog = _int("GUNICORN_BACKLOG", 2048)

# A request that takes longer than this is stuck: the worker is killed and replaced.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 2)

# Recycle each worker after this many requests, staggered by the jitter so they never restart
# together; bounds the slow growth of a long-lived Python process (see bench/ for measured RSS).
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 500)

# Load the app in each worker after fork, so no database connection (SQLite file handle or
# PostgreSQL socket) is opened in the master and shared by the children.
preload_app = False

# Request limits (gunicorn's defaults, stated): no page needs longer lines or more headers.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# The worker heartbeat file lives in memory, not on a disk that may stall under load.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# gunicorn 27's control socket has one default path shared by every instance on the host; leave it
# off unless GUNICORN_CONTROL_SOCKET names a path for this instance.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

# nginx already logs every request; set GUNICORN_ACCESSLOG=- to log here too. Errors go to stderr.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = "chengxinma"
# The proxy on this host may set X-Forwarded-Proto; the app itself trusts PROXY_COUNT hops (ProxyFix).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
