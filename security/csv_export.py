"""CSV downloads, streamed a batch of rows at a time so a large export never sits in memory, with every text cell
a spreadsheet would run as a formula escaped (OWASP's CSV injection rule). Shared by the trials and compliance
exports. Under ASGI, security.middleware serves the stream asynchronously, so it is sent as it is made."""

import csv
import io
from collections.abc import Iterable, Iterator
from itertools import islice

from django.http import StreamingHttpResponse

# A text cell a spreadsheet would run as a formula: shown as text by a leading '.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BATCH_ROWS = 200  # rows per piece of the stream: one write and one send per batch, not per line


_AS_IS = frozenset({int, float, type(None)})  # the csv module writes these itself: None as "", a float as its repr


def _escaped(row: Iterable) -> list:
    """The row's cells as the csv module should write them. It already writes None as "" and a number as its
    str(), which for a float is its repr (full precision, so figures recomputed from the CSV match the API); only
    text needs the formula check, and anything else (a date, a bool) becomes text first."""
    return [value if type(value) in _AS_IS else _text_cell(value) for value in row]


def _text_cell(value) -> str:
    text = value if type(value) is str else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable]) -> StreamingHttpResponse:
    def pieces() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        yield buffer.getvalue()
        rows_left = iter(rows)
        while batch := list(islice(rows_left, BATCH_ROWS)):
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(map(_escaped, batch))
            yield buffer.getvalue()

    response = StreamingHttpResponse(pieces(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
