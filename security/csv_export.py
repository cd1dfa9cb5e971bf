"""CSV downloads, streamed a batch of rows at a time so a large export never sits in memory, with every text cell
a spreadsheet would run as a formula escaped (OWASP's CSV injection rule). Shared by the trials and compliance
exports. Under ASGI, security.middleware serves the stream asynchronously, so it is sent as it is made."""

import csv
import io
from collections.abc import Iterable, Iterator
from itertools import chain, islice

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


def csv_line(cells: Iterable) -> str:
    """One line of a CSV file, its cells escaped as csv_response escapes them (for lines a caller keeps)."""
    return _written([_escaped(cells)])


def _written(rows: Iterable[Iterable]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable]) -> StreamingHttpResponse:
    def pieces() -> Iterator[str]:
        rows_left = iter(rows)
        while batch := list(islice(rows_left, BATCH_ROWS)):
            yield _written(map(_escaped, batch))

    return _download(filename, header, pieces())


def csv_lines_response(filename: str, header: list[str], lines: Iterable[str]) -> StreamingHttpResponse:
    """csv_response of rows already made lines (by csv_line, say): they are sent as they are, BATCH_ROWS a piece."""

    def pieces() -> Iterator[str]:
        lines_left = iter(lines)
        while batch := "".join(islice(lines_left, BATCH_ROWS)):
            yield batch

    return _download(filename, header, pieces())


def _download(filename: str, header: list[str], pieces: Iterator[str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chain([_written([header])], pieces), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
