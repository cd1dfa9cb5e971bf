"""A trial's out-of-sample predictions as one compressed columnar blob (plain numpy, no Django).

The blob is an ordinary `.npz` file (a zip of `.npy` arrays, readable by `numpy.load` anywhere): `date` as UTC
microseconds since the epoch (int64, what the database's timestamp kept), then one float64 array per column, NaN
where a value is missing (proba of a regression, the strategy columns of a volatility target). Each array is
deflated at level 1 (level 6 costs four times the time for 7 % less), unless a probe of its first 4 KB shows it
does not compress (random floats such as proba), then it is stored as is.
Reading one column decompresses only that column, so the compare view and PBO read `strategy_return` or
`net_return` alone.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by each function: the web imports this module for COLUMNS, and decodes rarely
    import numpy as np
    import pandas as pd

# The columns of predictions.csv after `date`, in that order.
COLUMNS = ("y_true", "y_pred", "proba", "position", "strategy_return", "cost", "net_return", "equity")
_EPOCH_US = "datetime64[us]"


_PROBE_BYTES = 4096
_STORE_ABOVE = 0.9  # a column whose first 4 KB deflate to more than this is stored as is (random floats: proba)


def _write_array(archive: zipfile.ZipFile, name: str, values: np.ndarray) -> None:
    import numpy as np

    values = np.ascontiguousarray(values)
    probe = values.tobytes()[:_PROBE_BYTES]
    ratio = len(zlib.compress(probe, 1)) / max(1, len(probe))
    member_info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
    member_info.compress_type = zipfile.ZIP_STORED if ratio > _STORE_ABOVE else zipfile.ZIP_DEFLATED
    member_info._compresslevel = 1  # type: ignore[attr-defined]  # ZipInfo has no public setter before 3.13
    with archive.open(member_info, "w", force_zip64=True) as member:
        np.lib.format.write_array(member, values, allow_pickle=False)


def encode(dates: pd.DatetimeIndex, columns: dict[str, Sequence[float | None] | np.ndarray]) -> bytes:
    """The blob of `dates` (naive means UTC) and the COLUMNS (None or NaN for a missing value)."""
    import numpy as np
    import pandas as pd

    index = pd.DatetimeIndex(dates)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    micros = index.tz_localize(None).as_unit("us").asi8.astype(np.int64)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        _write_array(archive, "date", micros)
        for name in COLUMNS:
            values = columns[name]
            array = np.asarray(values, dtype="float64") if not isinstance(values, np.ndarray) else values
            if array.dtype != np.float64:
                array = np.array([np.nan if v is None else v for v in values], dtype="float64")
            if len(array) != len(micros):
                raise ValueError(f"{name} has {len(array)} values for {len(micros)} dates")
            _write_array(archive, name, array)
    return buffer.getvalue()


def encode_frame(frame: pd.DataFrame) -> bytes:
    """The blob of a runner's predictions frame (indexed by date, with the COLUMNS)."""
    import pandas as pd

    return encode(pd.DatetimeIndex(frame.index), {name: frame[name].to_numpy(dtype="float64") for name in COLUMNS})


def encode_rows(rows: Iterable[tuple]) -> bytes:
    """The blob of (date, *COLUMNS) tuples, as the old one-row-per-prediction table held them."""
    import pandas as pd

    rows = list(rows)
    dates = pd.DatetimeIndex([row[0] for row in rows])
    return encode(dates, {name: [row[k + 1] for row in rows] for k, name in enumerate(COLUMNS)})


def decode(blob: bytes, columns: Sequence[str] = COLUMNS) -> tuple[pd.DatetimeIndex, dict[str, np.ndarray]]:
    """(the dates, tz-aware UTC; {column: float64 array}) for the columns asked for, in date order."""
    import numpy as np
    import pandas as pd

    unknown = set(columns) - set(COLUMNS)
    if unknown:
        raise ValueError(f"no such prediction column: {sorted(unknown)}")
    with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
        micros = archive["date"]
        values = {name: archive[name] for name in columns}
    dates = pd.DatetimeIndex(micros.astype(_EPOCH_US)).tz_localize("UTC")
    return dates, values


def decode_frame(blob: bytes, columns: Sequence[str] = COLUMNS) -> pd.DataFrame:
    import pandas as pd

    dates, values = decode(blob, columns)
    return pd.DataFrame(values, index=dates, columns=list(columns))


def decode_rows(blob: bytes) -> Iterator[tuple]:
    """(date as an aware UTC datetime, *COLUMNS with None where missing) per prediction, in date order: what the
    old table's `values_list("date", *COLUMNS)` gave, value for value."""
    import numpy as np

    dates, values = decode(blob)
    lists = []
    for name in COLUMNS:
        array = values[name]
        missing = np.isnan(array)
        as_list = array.tolist()
        if missing.any():
            for k in np.flatnonzero(missing).tolist():
                as_list[k] = None
        lists.append(as_list)
    return zip(dates.to_pydatetime().tolist(), *lists, strict=True)
