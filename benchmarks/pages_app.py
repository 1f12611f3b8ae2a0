"""The app as gunicorn serves it in the pages benchmark, with every request's SQL statements counted.

The count travels back in an `X-Bench-Queries` header; nothing of this is part of the app itself.
"""
from __future__ import annotations

import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine

from extension import create_app

_counter = threading.local()


@event.listens_for(Engine, "before_cursor_execute")
def _count(conn, cursor, statement, parameters, context, executemany):
    _counter.n = getattr(_counter, "n", 0) + 1


class CountQueries:
    def __init__(self, wsgi):
        self.wsgi = wsgi

    def __call__(self, environ, start_response):
        _counter.n = 0

        def start(status, headers, exc_info=None):
            headers = list(headers) + [("X-Bench-Queries", str(_counter.n))]
            return start_response(status, headers, exc_info)

        # Streaming responses would be counted short; the app's pages are rendered whole before they start.
        return self.wsgi(environ, start)


app = create_app()
app.wsgi_app = CountQueries(app.wsgi_app)
