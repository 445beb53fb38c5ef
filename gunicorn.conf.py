"""Production server settings (``gunicorn -c gunicorn.conf.py``); see README "Running in production".

SQLite in WAL mode serves many readers at once; writes are short transactions.
Threads share one process's caches (travel-time graphs), so a few workers with
several threads each suit this service better than many single-threaded workers.
"""

import multiprocessing
import os

bind = os.environ.get("BUURTKAART_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("BUURTKAART_WORKERS", max(2, multiprocessing.cpu_count())))
worker_class = "gthread"
threads = int(os.environ.get("BUURTKAART_THREADS", 8))
timeout = 60
graceful_timeout = 20
keepalive = 5
# A worker is replaced after this many requests (a guard against slow leaks). Each new
# worker starts with empty caches (kept answers, coverage, simplified maps): at 5,000 a
# worker under load was replaced every few seconds and p95 rose to seconds (issue 14).
max_requests = int(os.environ.get("BUURTKAART_MAX_REQUESTS", 200_000))
max_requests_jitter = max_requests // 10
# "-": standard output; a file path; "" (empty): no access log (a proxy in front logs).
accesslog = os.environ.get("BUURTKAART_ACCESS_LOG", "-") or None
wsgi_app = "buurtkaart.wsgi:app"
preload_app = False
