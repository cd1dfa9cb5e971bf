"""Checks and parses uploaded CSV price files, reporting every problem at once with its line number.

Two kinds of file, header on line 1, column names case-insensitive and trimmed:
- `bars`: date, open, high, low, close (required) and volume (optional; an empty cell is a missing volume).
- `series`: date, value.
Dates are ISO 8601: `2020-01-02` for daily data (giving a tz-naive index) or datetimes such as
`2020-01-02T14:30:00Z` / `2020-01-02 14:30:00+01:00`. A file uses one style: either every date carries a UTC
offset (the index is then tz-aware UTC) or none does. Rows must be in ascending date order without repeats.
Blank lines are skipped. A file that is empty, too large or not UTF-8 is rejected before anything else is read.
"""

import csv
import io
import math
from datetime import datetime

import pandas as pd

from .errors import UploadInvalid

__all__ = ["UploadInvalid", "parse_upload"]

REQUIRED_COLUMNS = {"bars": ["date", "open", "high", "low", "close"], "series": ["date", "value"]}
OPTIONAL_COLUMNS = {"bars": ["volume"], "series": []}
PRICE_COLUMNS = ["open", "high", "low", "close"]
_BOM = b"\xef\xbb\xbf"


def parse_upload(*, content: bytes, kind: str, max_bytes: int) -> pd.DataFrame:
    """The file as float columns indexed by a DatetimeIndex named `date`; raises UploadInvalid listing every problem."""
    if kind not in REQUIRED_COLUMNS:
        raise ValueError(f"unknown upload kind {kind!r}; expected one of {sorted(REQUIRED_COLUMNS)}")
    if len(content) > max_bytes:
        raise UploadInvalid([f"The file is {_size(len(content))}; the limit is {_size(max_bytes)}."])
    content = content.removeprefix(_BOM)  # Excel's "CSV UTF-8" starts with a byte-order mark
    if not content.strip():
        raise UploadInvalid(["The file is empty."])
    bad_lines = _non_utf8_lines(content)
    if bad_lines:
        raise UploadInvalid([f"Line {line}: not valid UTF-8 text; save the file as CSV (UTF-8)." for line in bad_lines])
    return _Parser(kind).parse(content.decode("utf-8"))


class _Parser:
    def __init__(self, kind: str):
        self.kind = kind
        self.required = REQUIRED_COLUMNS[kind]
        self.allowed = self.required + OPTIONAL_COLUMNS[kind]
        self.errors: list[str] = []

    def parse(self, text: str) -> pd.DataFrame:
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(reader)
            positions = self._header(header)
            rows = self._rows(reader, len(header), positions)
        except csv.Error as exc:
            self.errors.append(f"Line {reader.line_num}: the CSV cannot be read ({exc}).")
            rows = []
        if not self.errors and not rows:
            self.errors.append("The file has a header but no data rows.")
        if self.errors:
            raise UploadInvalid(self.errors)
        columns = [name for name in self.allowed if name != "date" and name in positions]
        stamps = [stamp for _, stamp, _ in rows]
        index = pd.DatetimeIndex(stamps, name="date")
        values = {name: [row_values[name] for _, _, row_values in rows] for name in columns}
        return pd.DataFrame(values, index=index.as_unit("us"), columns=columns, dtype="float64")

    def _header(self, header: list[str]) -> dict[str, int]:
        names = [cell.strip().lower() for cell in header]
        positions: dict[str, int] = {}
        unknown = []
        for number, name in enumerate(names, start=1):
            if not name:
                self.errors.append(f"Line 1: column {number} has no name.")
            elif name in positions:
                self.errors.append(f"Line 1: column '{name}' appears more than once.")
            elif name in self.allowed:
                positions[name] = number - 1
            else:
                positions.setdefault(name, number - 1)
                unknown.append(name)
        missing = [name for name in self.required if name not in positions]
        needs = ", ".join(self.required)
        optional = "".join(f"; {name} is optional" for name in OPTIONAL_COLUMNS[self.kind])
        if missing:
            hint = "" if set(self.allowed) & set(names) else " The first line must be the header."
            self.errors.append(
                f"Line 1: missing required column(s) {', '.join(missing)} (a {self.kind} file needs {needs}"
                f"{optional}).{hint}"
            )
        if unknown:
            self.errors.append(
                f"Line 1: unknown column(s) {', '.join(unknown)}; allowed columns are {', '.join(self.allowed)}."
            )
        return {name: position for name, position in positions.items() if name in self.allowed}

    def _rows(self, reader, width: int, positions: dict[str, int]) -> list[tuple[int, pd.Timestamp, dict[str, float]]]:
        rows = []
        seen: dict[datetime, int] = {}
        previous: tuple[int, datetime, str] | None = None
        first_style: tuple[int, bool] | None = None  # (line, has a UTC offset) of the first readable date
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != width:
                self.errors.append(f"Line {line}: expected {width} values, found {len(row)}.")
                continue
            values = self._numbers(line, row, positions)
            if "date" not in positions:
                continue
            date_text = row[positions["date"]].strip()
            stamp = _parse_date(date_text)
            if stamp is None:
                shown = f"'{date_text}'" if date_text else "empty"
                self.errors.append(f"Line {line}: date {shown} is not an ISO date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS).")
                continue
            aware = stamp.tzinfo is not None
            if first_style is None:
                first_style = (line, aware)
            elif aware != first_style[1]:
                has, other = ("has a", "has none") if aware else ("has no", "has one")
                self.errors.append(
                    f"Line {line}: date '{date_text}' {has} UTC offset but line {first_style[0]}'s date {other}; "
                    "use one style for the whole file."
                )
                continue
            key = _comparable(stamp)
            if key in seen:
                self.errors.append(f"Line {line}: date {date_text} repeats line {seen[key]}.")
                continue
            seen[key] = line
            if previous is not None and key < previous[1]:
                self.errors.append(
                    f"Line {line}: date {date_text} comes before line {previous[0]}'s {previous[2]}; "
                    "rows must be in ascending date order."
                )
            previous = (line, key, date_text)
            if values is not None:
                rows.append((line, pd.Timestamp(stamp).tz_convert("UTC") if aware else pd.Timestamp(stamp), values))
        return rows

    def _numbers(self, line: int, row: list[str], positions: dict[str, int]) -> dict[str, float] | None:
        """The row's numbers, or None after recording what is wrong with them."""
        values: dict[str, float] = {}
        texts: dict[str, str] = {}
        ok = True
        for name, position in positions.items():
            if name == "date":
                continue
            text = row[position].strip()
            texts[name] = text
            if not text and name in OPTIONAL_COLUMNS[self.kind]:
                values[name] = math.nan
                continue
            number = _number(text)
            if number is None:
                self.errors.append(
                    f"Line {line}: {name} '{text}' is not a number." if text else f"Line {line}: {name} is empty."
                )
                ok = False
                continue
            if self.kind == "bars" and number < 0:
                what = "price" if name in PRICE_COLUMNS else "volume"
                self.errors.append(f"Line {line}: {name} {text} is negative; a {what} cannot be below 0.")
                ok = False
            values[name] = number
        if self.kind == "bars":
            ok &= self._bar_consistent(line, values, texts)
        return values if ok else None

    def _bar_consistent(self, line: int, values: dict[str, float], texts: dict[str, str]) -> bool:
        # Checked pair by pair, so a bad open does not hide a high below the low.
        pairs = [("high", "low"), ("high", "open"), ("high", "close"), ("open", "low"), ("close", "low")]
        problems = []
        for upper, lower in pairs:
            if upper in values and lower in values and values[upper] < values[lower]:
                if upper == "high":
                    problems.append(f"high {texts['high']} is below {lower} {texts[lower]}")
                else:
                    problems.append(f"low {texts['low']} is above {upper} {texts[upper]}")
        for problem in problems:
            self.errors.append(f"Line {line}: {problem}.")
        return not problems


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _parse_date(text: str) -> datetime | None:
    if not text or not text[:4].isdigit():
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _comparable(stamp: datetime) -> datetime:
    # Aware stamps compare as UTC instants; naive ones as they are (a file never mixes the two).
    if stamp.tzinfo is None:
        return stamp
    return pd.Timestamp(stamp).tz_convert("UTC").tz_localize(None).to_pydatetime()


def _non_utf8_lines(content: bytes) -> list[int]:
    bad = []
    for number, raw_line in enumerate(content.split(b"\n"), start=1):
        try:
            raw_line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(number)
    return bad


def _size(n_bytes: int) -> str:
    if n_bytes < 1024:
        return f"{n_bytes} bytes"
    if n_bytes < 1024 * 1024:
        return f"{n_bytes / 1024:.1f} KB"
    return f"{n_bytes / (1024 * 1024):.1f} MB"
