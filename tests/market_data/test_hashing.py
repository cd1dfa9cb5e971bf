"""frame_sha256: a canonical fingerprint of values that ignores dtype quirks but not the data."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from market_data.hashing import frame_sha256


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"open": [3244.67, 3226.36], "close": [3257.85, 3234.85], "volume": [3459930000, 3484700000]},
        index=pd.DatetimeIndex(["2020-01-02", "2020-01-03"], name="date"),
    )


def test_hash_is_sha256_of_the_documented_canonical_text(frame):
    # Pins the format: stored provenance hashes stay valid only while this text does not change.
    canonical = (
        "mltrainer-frame-sha256 v1\n"
        '["close","open","volume"]\n'
        "2020-01-02T00:00:00\t3257.85\t3244.67\t3459930000.0\n"
        "2020-01-03T00:00:00\t3234.85\t3226.36\t3484700000.0\n"
    )

    assert frame_sha256(frame) == hashlib.sha256(canonical.encode()).hexdigest()


def test_same_data_hashes_the_same_whatever_the_dtypes(frame):
    variants = [
        frame.astype({"volume": "float64"}),
        frame.astype({"volume": "uint32"}),
        frame.astype({"volume": "Int64"}),
        frame.astype("Float64"),
        frame.set_axis(frame.index.as_unit("ns")),
        frame.rename_axis("ts"),
    ]

    assert {frame_sha256(variant) for variant in variants} == {frame_sha256(frame)}


def test_float32_data_hashes_like_its_float64_widening(frame):
    narrow = frame.astype("float32")

    assert frame_sha256(narrow) == frame_sha256(narrow.astype("float64"))
    assert frame_sha256(narrow) != frame_sha256(frame)  # 3244.67 is not exactly a float32


def test_column_order_does_not_matter_but_column_names_do(frame):
    assert frame_sha256(frame[["volume", "close", "open"]]) == frame_sha256(frame)
    assert frame_sha256(frame.rename(columns={"open": "close", "close": "open"})) != frame_sha256(frame)


def test_row_order_is_part_of_the_data(frame):
    assert frame_sha256(frame.iloc[::-1]) != frame_sha256(frame)


def test_the_smallest_change_in_a_value_changes_the_hash(frame):
    nudged = frame.copy()
    nudged.loc[nudged.index[1], "close"] = np.nextafter(3234.85, np.inf)

    assert frame_sha256(nudged) != frame_sha256(frame)


def test_missing_values_hash_the_same_however_they_are_spelled(frame):
    with_nan = frame.astype("float64")
    with_nan.iloc[0, 0] = np.nan
    with_na = frame.astype("Float64")
    with_na.iloc[0, 0] = pd.NA

    assert frame_sha256(with_nan) == frame_sha256(with_na)
    assert frame_sha256(with_nan) != frame_sha256(frame)


def test_negative_zero_hashes_like_zero():
    index = pd.DatetimeIndex(["2020-01-02"])

    assert frame_sha256(pd.Series([-0.0], index=index)) == frame_sha256(pd.Series([0.0], index=index))


def test_the_same_instants_hash_the_same_in_any_time_zone_and_as_naive_utc(frame):
    utc = frame.tz_localize("UTC")

    assert frame_sha256(utc.tz_convert("America/New_York")) == frame_sha256(utc)
    assert frame_sha256(utc) == frame_sha256(frame)  # naive means UTC, as the selectors return it


def test_a_series_hashes_like_a_value_column_whatever_its_name(frame):
    series = frame["close"].rename("VIXCLS")

    assert frame_sha256(series) == frame_sha256(series.rename("vix"))
    assert frame_sha256(series) == frame_sha256(series.to_frame("value"))


def test_date_objects_in_the_index_hash_like_a_datetime_index(frame):
    assert frame_sha256(frame.set_axis(pd.Index(frame.index.date))) == frame_sha256(frame)


def test_non_numeric_columns_are_refused(frame):
    with pytest.raises(TypeError, match="column 'note' is not numeric"):
        frame_sha256(frame.assign(note=["a", "b"]))


def test_real_bundled_history_hashes_identically_twice():
    from arch.data import sp500

    raw = sp500.load()
    prepared = raw.rename(columns=str.lower)[["open", "high", "low", "close", "volume"]].astype("float64")

    assert frame_sha256(prepared) == frame_sha256(
        raw.rename(columns=str.lower)[["close", "high", "low", "open", "volume"]]
    )
