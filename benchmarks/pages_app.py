"""The app as gunicorn serves it in the pages benchmark, with every request's SQL statements counted.

Three headers carry what the worker measured back to the benchmark: `X-Bench-Queries` (SQL statements),
`X-Bench-CPU-Ms` (the worker's own CPU time for the request: what the request costs in Python whatever else
the machine is doing) and `X-Bench-DB-Ms` (wall time spent waiting for the statements' results). Nothing of
this is part of the app itself.
"""
from __future__ import annotations

import threading
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine

from extension import create_app

_counter = threading.local()


@event.listens_for(Engine, "before_cursor_execute")
def _count(conn, cursor, statement, parameters, context, executemany):
    _counter.n = getattr(_counter, "n", 0) + 1
    _counter.started = time.perf_counter()


@event.listens_for(Engine, "after_cursor_execute")
def _waited(conn, cursor, statement, parameters, context, executemany):
    _counter.db = getattr(_counter, "db", 0.0) + time.perf_counter() - _counter.started


class CountQueries:
    def __init__(self, wsgi):
        self.wsgi = wsgi

    def __call__(self, environ, start_response):
        _counter.n, _counter.db = 0, 0.0
        cpu = time.thread_time()

        def start(status, headers, exc_info=None):
            headers = list(headers) + [("X-Bench-Queries", str(_counter.n)),
                                       ("X-Bench-CPU-Ms", f"{(time.thread_time() - cpu) * 1000:.2f}"),
                                       ("X-Bench-DB-Ms", f"{_counter.db * 1000:.2f}")]
            return start_response(status, headers, exc_info)

        # Streaming responses would be counted short; the app's pages are rendered whole before they start.
        return self.wsgi(environ, start)


app = create_app()
app.wsgi_app = CountQueries(app.wsgi_app)
