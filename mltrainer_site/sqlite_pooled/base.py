"""SQLite whose closed connections wait in a small per-process pool for the next request (as PostgreSQL's do).

Under ASGI each request has a connection object of its own, and with CONN_MAX_AGE=0 it is closed at the end of
the request, so every request opened the database file again: about 2.5 ms, most of it SQLite reading the schema
and mapping the WAL index. Here a connection closed outside a transaction goes back to the pool and the next
request takes it as it was left: autocommit, foreign keys on (set again on every take, since loaddata and
migrations turn them off), the same functions registered. A pool belongs to one process and one database file
(device and inode, so a test database deleted and created again under the same name is never reused).
"""

import os
import threading

from django.db.backends.sqlite3 import base

IDLE_MAX = 8  # per database file and process: a web process's WEB_THREADS views and its streamed exports


class _Pool:
    def __init__(self):
        self.lock = threading.Lock()
        self.pid = os.getpid()
        self.idle: dict[tuple, list] = {}

    def _forget_if_forked(self) -> None:
        if self.pid != os.getpid():  # inherited through fork (a Celery pool child): never use the parent's
            self.pid, self.idle = os.getpid(), {}

    def take(self, key: tuple):
        with self.lock:
            self._forget_if_forked()
            connections = self.idle.get(key)
            return connections.pop() if connections else None

    def give(self, key: tuple, connection) -> bool:
        with self.lock:
            self._forget_if_forked()
            connections = self.idle.setdefault(key, [])
            if len(connections) >= IDLE_MAX:
                return False
            connections.append(connection)
            return True


_pool = _Pool()


def _file_key(name: str, init_commands: list[str]) -> tuple | None:
    try:
        stat = os.stat(name)
    except OSError:
        return None  # not created yet: nothing to reuse, and the key would change once it is
    return (name, stat.st_dev, stat.st_ino, tuple(init_commands))


class DatabaseWrapper(base.DatabaseWrapper):
    _pool_key: tuple | None = None

    def get_new_connection(self, conn_params):
        if self.is_in_memory_db():
            return super().get_new_connection(conn_params)
        self._pool_key = _file_key(conn_params["database"], self.init_commands)
        if self._pool_key is not None and (connection := _pool.take(self._pool_key)) is not None:
            connection.execute("PRAGMA foreign_keys = ON")
            return connection
        connection = super().get_new_connection(conn_params)
        self._pool_key = _file_key(conn_params["database"], self.init_commands)  # the file exists now
        return connection

    def _close(self):
        connection, key = self.connection, self._pool_key
        if connection is not None and key is not None and not connection.in_transaction and _pool.give(key, connection):
            return
        super()._close()
