"""Under ASGI a trials export streams: the first rows are sent while the rest of 100,000 are still being read.

Django serves a synchronous iterator under ASGI by reading it whole first (security.middleware._pulled is what
pulls it a batch at a time instead). This measures the time to the first byte of a 100,000-row export through
the real ASGI application and checks it against the time to the last: a buffered export sends its first byte only
once the whole file is built (a ratio near 1), a streamed one after its first batch (a few percent). The target
itself (first byte under 100 ms) is a benchmark figure: `make bench` prints it."""

import asyncio
import time

import pytest
from asgiref.testing import ApplicationCommunicator
from django.db import connection
from django.utils import timezone

from mltrainer_site.asgi import application
from trials.models import Trial

pytestmark = pytest.mark.django_db(transaction=True)  # the ASGI application reads through its own connection

ROWS = 100_000


def _insert_trials(*, team, user, count: int) -> None:
    """`count` copies of one finished trial in one INSERT … SELECT (a few seconds with the ORM, well under one
    here); every column gets what the model would store."""
    template = Trial(team=team, created_by=user, name="bulk", model_key="logistic_regression", family="linear",
                     target="direction", status="succeeded", data={"symbol": "SPX", "horizon": 1},
                     validation={"scheme": "walk_forward", "folds": 3, "gap": 1}, metrics={"sharpe": 0.5},
                     created_at=timezone.now(), finished_at=timezone.now())  # fmt: skip
    fields = [field for field in Trial._meta.concrete_fields if not field.primary_key]
    values = [field.get_db_prep_save(getattr(template, field.attname), connection) for field in fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(Trial._meta.db_table)
    if connection.vendor == "postgresql":
        sql = f"INSERT INTO {table} ({columns}) SELECT {placeholders} FROM generate_series(1, %s)"
    else:
        sql = (f"WITH RECURSIVE series(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM series WHERE n < %s) "
               f"INSERT INTO {table} ({columns}) SELECT {placeholders} FROM series")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, count] if connection.vendor == "postgresql" else [count, *values])


def _timed_get(path: str, token: str) -> dict:
    scope = {
        "type": "http", "http_version": "1.1", "method": "GET", "path": path, "raw_path": path.encode(),
        "query_string": b"", "headers": [(b"host", b"testserver"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 40000), "server": ("testserver", 80),
    }  # fmt: skip

    async def call():
        communicator = ApplicationCommunicator(application, scope)
        started = time.perf_counter()
        await communicator.send_input({"type": "http.request", "body": b""})
        start = await communicator.receive_output(timeout=60)
        chunks, first_byte = [], None
        while True:
            message = await communicator.receive_output(timeout=60)
            if message.get("body") and first_byte is None:
                first_byte = time.perf_counter() - started
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        last_byte = time.perf_counter() - started
        await communicator.wait(timeout=10)
        return {"status": start["status"], "chunks": chunks, "first_byte": first_byte, "last_byte": last_byte}

    return asyncio.run(call())


def test_a_100000_row_export_sends_its_first_rows_before_reading_the_rest(alice, team_a):
    from rest_framework_simplejwt.tokens import AccessToken

    _insert_trials(team=team_a, user=alice, count=ROWS)
    answer = _timed_get("/api/trials/export.csv", str(AccessToken.for_user(alice)))
    body = b"".join(answer["chunks"])
    assert answer["status"] == 200
    assert body.count(b"\n") == ROWS + 1 and body.startswith(b"id,name,team,")
    first = next(chunk for chunk in answer["chunks"] if chunk)
    assert len(first) < len(body) / 100  # a first batch, not the file
    ratio = answer["first_byte"] / answer["last_byte"]
    print(f"100,000-row export: first byte {answer['first_byte'] * 1000:.0f} ms, last {answer['last_byte']:.2f} s")
    assert ratio < 0.25, f"the first byte came {ratio:.0%} of the way through: the export was built before sending"
