"""A canonical SHA-256 of a price table, so the same data always has the same fingerprint (provenance, caching).

What is hashed, line by line, UTF-8, each line ending in "\\n":

    mltrainer-frame-sha256 v1
    ["close","open"]                      column names as strings, sorted; a Series is one column
    2020-01-02T00:00:00\\t3257.85\\t3244.67   index label, then each value in that column order

- Index labels: timestamps (and dates) as naive ISO 8601 `Timestamp.isoformat()`. Tz-aware ones are converted to
  UTC and written without offset, because naive means UTC in mlTrainer (selectors return naive UTC): a frame
  hashes the same before it is stored and after it is read back. Any other label is the JSON string of
  `str(label)`. The index name (`ts` vs `date`) and the datetime unit (ns vs us) do not matter.
- Values: converted to float64 and written with `repr`, the shortest text that round-trips exactly, so ints,
  float32 (after widening to float64) and nullable Float64 hash like their float64 equal. Every NaN (and
  None/pd.NA) is `nan`, -0.0 is `0.0`, infinities are `inf`/`-inf`.
- Row order is part of the data: sort first if order should not matter.
- A Series is hashed as a one-column frame named `value`, whatever its name: the name is a label, not data
  (bundled "vix" and stored "VIXCLS" are the same numbers), and it matches an uploaded `series` frame.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where a frame is built or read, not with the web's imports
    import pandas as pd

_HEADER = "mltrainer-frame-sha256 v1\n"


def frame_sha256(frame: pd.DataFrame | pd.Series) -> str:
    """Hex SHA-256 of the canonical text of `frame` described in this module's docstring."""
    import numpy as np
    import pandas as pd

    if isinstance(frame, pd.Series):
        frame = frame.to_frame(name="value")
    names = [str(column) for column in frame.columns]
    if len(set(names)) != len(names):
        raise ValueError(f"cannot hash a frame with duplicate column names: {names}")
    order = sorted(range(len(names)), key=names.__getitem__)
    columns = []
    for position in order:
        column = frame.iloc[:, position]
        try:
            columns.append(column.to_numpy(dtype="float64", na_value=np.nan))
        except (TypeError, ValueError):
            raise TypeError(f"column {names[position]!r} is not numeric ({column.dtype}); cannot hash it") from None

    digest = hashlib.sha256()
    digest.update(_HEADER.encode())
    digest.update(("[" + ",".join(_json_string(names[p]) for p in order) + "]\n").encode())
    labels = _index_labels(frame.index)
    for row, label in enumerate(labels):
        values = "\t".join(_float_text(values[row]) for values in columns)
        digest.update(f"{label}\t{values}\n".encode())
    return digest.hexdigest()


def _index_labels(index: pd.Index) -> list[str]:
    import pandas as pd

    if isinstance(index, pd.DatetimeIndex):
        if index.tz is not None:
            index = index.tz_convert("UTC").tz_localize(None)
        return ["NaT" if pd.isna(ts) else ts.isoformat() for ts in index]
    return [_label_text(label) for label in index]


def _label_text(label: object) -> str:
    import pandas as pd

    if isinstance(label, date):  # datetime.date, datetime.datetime and pd.Timestamp
        stamp = pd.Timestamp(label)
        return (stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp).isoformat()
    return _json_string(str(label))


def _float_text(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if value == 0.0:
        return "0.0"  # -0.0 == 0.0
    return repr(float(value))


def _json_string(text: str) -> str:
    # Names and non-date labels as JSON strings, so a tab, comma or newline in them cannot fake a separator.
    return json.dumps(text, ensure_ascii=False)
