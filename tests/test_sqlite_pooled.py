"""The SQLite backend's pool (mltrainer_site.sqlite_pooled): a connection closed after a request is the next
request's, as it should be found (autocommit, foreign keys on); one closed in a transaction, one of a database
file replaced since, or one inherited through fork is never handed out. No Django test database needed."""

import multiprocessing
import sqlite3

import pytest

from mltrainer_site.sqlite_pooled.base import DatabaseWrapper


@pytest.fixture(autouse=True)
def _own_database_files(django_db_blocker):
    with django_db_blocker.unblock():  # files of these tests' own, not the test database
        yield


def _wrapper(path) -> DatabaseWrapper:
    return DatabaseWrapper(
        {
            "NAME": str(path), "USER": "", "PASSWORD": "", "HOST": "", "PORT": "", "ATOMIC_REQUESTS": False,
            "AUTOCOMMIT": True, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False, "TIME_ZONE": None, "TEST": {},
            "OPTIONS": {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
        },
        alias="pool-test",
    )  # fmt: skip


def _raw(path):
    """A request's connection: opened, used, closed; the sqlite3 connection it had."""
    wrapper = _wrapper(path)
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT 1")
    raw = wrapper.connection
    wrapper.close()
    return raw


def test_the_next_request_gets_the_closed_connection_in_autocommit_with_foreign_keys(tmp_path):
    db = tmp_path / "db.sqlite3"
    _raw(db)  # the file exists: its first connection, opened before it did, was not pooled
    first = _wrapper(db)
    with first.cursor() as cursor:
        cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    first.disable_constraint_checking()  # as loaddata does
    raw = first.connection
    first.close()

    second = _wrapper(db)
    with second.cursor() as cursor:
        assert cursor.execute("PRAGMA foreign_keys").fetchone() == (1,)
        cursor.execute("INSERT INTO t VALUES (1)")
    assert second.connection is raw and second.get_autocommit() and not raw.in_transaction
    second.close()
    with _wrapper(db).cursor() as cursor:  # committed: autocommit, not left in a transaction
        assert cursor.execute("SELECT COUNT(*) FROM t").fetchone() == (1,)


def test_a_connection_closed_inside_a_transaction_is_not_reused(tmp_path):
    db = tmp_path / "db.sqlite3"
    _raw(db)
    wrapper = _wrapper(db)
    wrapper.ensure_connection()
    held = wrapper.connection
    held.execute("BEGIN")
    wrapper.close()
    assert _raw(db) is not held


def test_a_database_file_replaced_under_the_same_name_gets_new_connections(tmp_path):
    db = tmp_path / "db.sqlite3"
    _raw(db)
    old = _raw(db)
    assert _raw(db) is old
    for stale in tmp_path.glob("db.sqlite3*"):
        stale.unlink()
    sqlite3.connect(db).close()  # a new, empty database at the same path (a test database made again)
    assert _raw(db) is not old


def _marked(path) -> bool:
    """The next connection of this process's pool is one the parent marked (temporary tables are per connection)."""
    wrapper = _wrapper(path)
    with wrapper.cursor() as cursor:
        marked = cursor.execute("SELECT COUNT(*) FROM sqlite_temp_master WHERE name = 'parent_mark'").fetchone()[0]
    wrapper.close()
    return bool(marked)


def _child(path, answer):
    answer.put(_marked(path))


def test_a_forked_process_never_takes_the_parents_connections(tmp_path):
    db = tmp_path / "db.sqlite3"
    _raw(db)
    wrapper = _wrapper(db)
    with wrapper.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE parent_mark (x)")
    wrapper.close()
    context = multiprocessing.get_context("fork")
    answer = context.Queue()
    child = context.Process(target=_child, args=(db, answer))
    child.start()
    child.join(timeout=30)
    assert answer.get(timeout=5) is False and child.exitcode == 0
    assert _marked(db)  # the parent's own pool still has it
