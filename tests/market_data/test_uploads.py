"""parse_upload: valid files become float frames indexed by date; a bad file reports every problem with its line."""

import numpy as np
import pandas as pd
import pytest

from market_data.uploads import UploadInvalid, parse_upload

LIMIT = 100_000


def bars(text: str) -> pd.DataFrame:
    return parse_upload(content=text.encode(), kind="bars", max_bytes=LIMIT)


def problems(content: str | bytes, kind: str = "bars", max_bytes: int = LIMIT) -> list[str]:
    raw = content.encode() if isinstance(content, str) else content
    with pytest.raises(UploadInvalid) as caught:
        parse_upload(content=raw, kind=kind, max_bytes=max_bytes)
    return caught.value.errors


def test_valid_bars_file_becomes_float_frame_indexed_by_date():
    frame = bars(
        "date,open,high,low,close,volume\n"
        "2020-01-02,3244.67,3258.14,3235.53,3257.85,3459930000\n"
        "2020-01-03,3226.36,3246.15,3222.34,3234.85,3484700000\n"
    )

    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert all(frame.dtypes == "float64")
    assert frame.index.name == "date"
    assert frame.index.tz is None
    assert list(frame.index) == [pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-03")]
    assert frame.loc["2020-01-03", "close"] == 3234.85
    assert frame.loc["2020-01-02", "volume"] == 3459930000.0


def test_column_names_are_case_insensitive_trimmed_and_in_any_order():
    frame = bars(
        " Close ,DATE,Low, HIGH,open\n2020-01-02,3257.85,3235.53,3258.14,3244.67\n".replace(
            "2020-01-02,3257.85", "3257.85,2020-01-02"
        )
    )

    assert list(frame.columns) == ["open", "high", "low", "close"]
    assert frame.iloc[0].tolist() == [3244.67, 3258.14, 3235.53, 3257.85]


def test_volume_is_optional_and_may_be_blank():
    frame = bars("date,open,high,low,close,volume\n2020-01-02,1,2,0.5,1.5,\n2020-01-03,1.5,2,1,1.8,10\n")

    assert np.isnan(frame["volume"].iloc[0])
    assert frame["volume"].iloc[1] == 10.0
    assert "volume" not in bars("date,open,high,low,close\n2020-01-02,1,2,0.5,1.5\n").columns


def test_series_file_may_hold_negative_values():
    frame = parse_upload(content=b"Date,Value\n2020-04-20,-37.63\n2020-04-21,10.01\n", kind="series", max_bytes=LIMIT)

    assert list(frame.columns) == ["value"]
    assert frame["value"].tolist() == [-37.63, 10.01]


def test_datetimes_with_utc_offsets_give_a_utc_index():
    frame = parse_upload(
        content=b"date,value\n2020-01-02T10:00:00+01:00,1\n2020-01-02 10:00:00Z,2\n", kind="series", max_bytes=LIMIT
    )

    assert str(frame.index.tz) == "UTC"
    assert list(frame.index) == [pd.Timestamp("2020-01-02 09:00", tz="UTC"), pd.Timestamp("2020-01-02 10:00", tz="UTC")]


def test_naive_datetimes_stay_naive():
    frame = parse_upload(
        content=b"date,value\n2020-01-02T09:30,1\n2020-01-02T16:00,2\n", kind="series", max_bytes=LIMIT
    )

    assert frame.index.tz is None
    assert frame.index[1] == pd.Timestamp("2020-01-02 16:00")


def test_excel_byte_order_mark_crlf_and_blank_lines_are_accepted():
    frame = parse_upload(
        content=b"\xef\xbb\xbfdate,value\r\n2020-01-02,1\r\n\r\n2020-01-03,2\r\n", kind="series", max_bytes=LIMIT
    )

    assert frame["value"].tolist() == [1.0, 2.0]


def test_empty_file_is_rejected():
    assert problems(b"") == ["The file is empty."]
    assert problems(b"  \n\n") == ["The file is empty."]


def test_file_over_the_size_limit_is_rejected_before_reading():
    assert problems(b"date,value\n" + b"2020-01-02,1\n" * 200, max_bytes=2048) == [
        "The file is 2.5 KB; the limit is 2.0 KB."
    ]


def test_non_utf8_file_names_every_bad_line():
    content = "date,value\n2020-01-02,1\n2020-01-03,2 café\n2020-01-04,3 é\n".encode("latin-1")

    assert problems(content, kind="series") == [
        "Line 3: not valid UTF-8 text; save the file as CSV (UTF-8).",
        "Line 4: not valid UTF-8 text; save the file as CSV (UTF-8).",
    ]


def test_header_only_file_has_no_data_rows():
    assert problems("date,value\n", kind="series") == ["The file has a header but no data rows."]


def test_missing_required_columns_are_named():
    assert problems("date,open,close\n2020-01-02,1,1\n") == [
        "Line 1: missing required column(s) high, low (a bars file needs date, open, high, low, close; "
        "volume is optional)."
    ]


def test_file_without_header_is_told_the_first_line_must_be_the_header():
    assert problems("2020-01-02,1\n2020-01-03,2\n", kind="series") == [
        "Line 1: missing required column(s) date, value (a series file needs date, value). "
        "The first line must be the header.",
        "Line 1: unknown column(s) 2020-01-02, 1; allowed columns are date, value.",
    ]


def test_unknown_and_repeated_columns_are_named():
    assert problems("date,value,Adj Close,value,\n2020-01-02,1,1,1,\n", kind="series") == [
        "Line 1: column 'value' appears more than once.",
        "Line 1: column 5 has no name.",
        "Line 1: unknown column(s) adj close; allowed columns are date, value.",
    ]


def test_unparseable_dates_name_their_line():
    assert problems("date,value\n2020-01-02,1\n02/01/2020,2\n,3\n2020-13-01,4\n", kind="series") == [
        "Line 3: date '02/01/2020' is not an ISO date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS).",
        "Line 4: date empty is not an ISO date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS).",
        "Line 5: date '2020-13-01' is not an ISO date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS).",
    ]


def test_duplicate_dates_name_both_lines():
    assert problems("date,value\n2020-01-02,1\n2020-01-03,2\n2020-01-02,3\n", kind="series") == [
        "Line 4: date 2020-01-02 repeats line 2."
    ]


def test_unordered_dates_name_the_line_that_goes_back():
    assert problems("date,value\n2020-01-02,1\n2020-01-06,2\n2020-01-03,3\n2020-01-07,4\n", kind="series") == [
        "Line 4: date 2020-01-03 comes before line 3's 2020-01-06; rows must be in ascending date order."
    ]


def test_mixing_dates_with_and_without_utc_offset_is_rejected():
    assert problems("date,value\n2020-01-02T10:00,1\n2020-01-02T11:00Z,2\n", kind="series") == [
        "Line 3: date '2020-01-02T11:00Z' has a UTC offset but line 2's date has none; use one style for the "
        "whole file."
    ]


def test_non_numeric_and_empty_values_name_line_and_column():
    assert problems("date,value\n2020-01-02,1.5\n2020-01-03,n/a\n2020-01-04,\n2020-01-05,inf\n", kind="series") == [
        "Line 3: value 'n/a' is not a number.",
        "Line 4: value is empty.",
        "Line 5: value 'inf' is not a number.",
    ]


def test_negative_prices_and_volume_are_rejected():
    assert problems("date,open,high,low,close,volume\n2020-01-02,-1,2,-2,1.5,-10\n") == [
        "Line 2: open -1 is negative; a price cannot be below 0.",
        "Line 2: low -2 is negative; a price cannot be below 0.",
        "Line 2: volume -10 is negative; a volume cannot be below 0.",
    ]


def test_inconsistent_bars_name_each_broken_rule():
    assert problems(
        "date,open,high,low,close\n"
        "2020-01-02,10,9,11,10\n"  # high below low, and below open and close; low above open and close
        "2020-01-03,10,12,9,13\n"  # high below close
        "2020-01-06,8,12,9,10\n"  # low above open
    ) == [
        "Line 2: high 9 is below low 11.",
        "Line 2: high 9 is below open 10.",
        "Line 2: high 9 is below close 10.",
        "Line 2: low 11 is above open 10.",
        "Line 2: low 11 is above close 10.",
        "Line 3: high 12 is below close 13.",
        "Line 4: low 9 is above open 8.",
    ]


def test_rows_with_the_wrong_number_of_values_are_named():
    assert problems("date,value\n2020-01-02,1\n2020-01-03\n2020-01-06,1,2\n", kind="series") == [
        "Line 3: expected 2 values, found 1.",
        "Line 4: expected 2 values, found 3.",
    ]


def test_a_bad_file_reports_every_problem_with_physical_line_numbers():
    errors = problems(
        "Date,Open,High,Low,Close,Volume,Note\n"
        "2020-01-02,3244.67,3258.14,3235.53,3257.85,3459930000,ok\n"
        "\n"  # line 3 is blank and skipped, but still counts
        "2020-01-02,3226.36,3246.15,3222.34,3234.85,3484700000,dup\n"
        "2020-01-01,abc,3246.15,3222.34,3234.85,3484700000,back\n"
        "Jan 6 2020,3217.55,3246.84,3214.64,3246.28,3702460000,words\n"
        "2020-01-07,3241.86,3244.91,3232.43,3237.18,-5,neg\n"
        "2020-01-08,3238.59,3200.00,3235.53,3253.05,3720890000,high\n"
    )

    assert errors == [
        "Line 1: unknown column(s) note; allowed columns are date, open, high, low, close, volume.",
        "Line 4: date 2020-01-02 repeats line 2.",
        "Line 5: open 'abc' is not a number.",
        "Line 5: date 2020-01-01 comes before line 2's 2020-01-02; rows must be in ascending date order.",
        "Line 6: date 'Jan 6 2020' is not an ISO date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS).",
        "Line 7: volume -5 is negative; a volume cannot be below 0.",
        "Line 8: high 3200.00 is below low 3235.53.",
        "Line 8: high 3200.00 is below open 3238.59.",
        "Line 8: high 3200.00 is below close 3253.05.",
    ]


def test_upload_invalid_message_joins_all_problems():
    with pytest.raises(UploadInvalid, match=r"Line 3: value 'x' is not a number\.; Line 4: date"):
        parse_upload(content=b"date,value\n2020-01-02,1\n2020-01-03,x\n2020-01-02,2\n", kind="series", max_bytes=LIMIT)


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown upload kind"):
        parse_upload(content=b"date,value\n", kind="ticks", max_bytes=LIMIT)
