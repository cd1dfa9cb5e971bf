"""POST /api/datasets/upload/: a good CSV becomes the team's series; a bad one stores nothing, listing every problem."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from market_data.hashing import frame_sha256
from market_data.models import Bar, Dataset, Observation
from market_data.selectors import dataset_frame

pytestmark = pytest.mark.django_db

GOOD_BARS = (
    "date,open,high,low,close,volume\n"
    "2020-01-02,3244.67,3258.14,3235.53,3257.85,3459930000\n"
    "2020-01-03,3226.36,3246.15,3222.34,3234.85,3484700000\n"
    "2020-01-06,3217.55,3246.84,3214.64,3246.28,\n"
)


def upload(client, content, *, key="MYFUND", kind="bars", name="prices.csv", **extra):
    raw = content.encode() if isinstance(content, str) else content
    data = {"file": SimpleUploadedFile(name, raw, content_type="text/csv"), "key": key, "kind": kind, **extra}
    return client.post("/api/datasets/upload/", data, format="multipart")


def stored_nothing():
    return (
        not Dataset.objects.filter(team__isnull=False).exists()
        and not Bar.objects.filter(dataset__team__isnull=False).exists()
    )


def test_good_bars_file_becomes_the_teams_series(bob, api_as, team_a):
    response = upload(api_as(bob), GOOD_BARS)

    assert response.status_code == 201, response.content
    body = response.json()
    dataset = Dataset.objects.get(pk=body["id"])
    assert (body["key"], body["kind"], body["source"], body["team"], body["created_by"]) == (
        "MYFUND",
        "bars",
        "upload",
        "team-a",
        "bob",
    )
    assert body["provenance"]["filename"] == "prices.csv" and body["provenance"]["uploaded_by"] == "bob"
    assert body["provenance"]["file_sha256"] == hashlib.sha256(GOOD_BARS.encode()).hexdigest()
    stored = dataset_frame(dataset=dataset)
    assert body["sha256"] == dataset.sha256 == frame_sha256(stored)
    assert body["rows"] == 3 and body["frequency"] == "1d"
    assert stored["close"].tolist() == [3257.85, 3234.85, 3246.28]
    assert stored["volume"].isna().tolist() == [False, False, True]
    assert dataset.team == team_a and dataset.created_by == bob


def test_good_series_file_and_a_file_without_volume(bob, api_as):
    series = upload(
        api_as(bob), "date,value\n2020-01-01,1.5\n2020-02-01,1.7\n2020-03-01,1.6\n", key="M2", kind="series"
    )
    assert series.status_code == 201, series.content
    assert (series.json()["kind"], series.json()["frequency"], series.json()["rows"]) == ("series", "1mo", 3)
    values = dataset_frame(dataset=Dataset.objects.get(pk=series.json()["id"]))
    assert values.tolist() == [1.5, 1.7, 1.6]

    no_volume = upload(api_as(bob), "date,open,high,low,close\n2020-01-02,1,2,0.5,1.5\n", key="NOVOL")
    assert no_volume.status_code == 201
    dataset = Dataset.objects.get(pk=no_volume.json()["id"])
    assert dataset.sha256 == frame_sha256(dataset_frame(dataset=dataset))  # verifiable when a trial reads it back


def test_reupload_replaces_the_series_with_a_new_hash(bob, api_as):
    first = upload(api_as(bob), GOOD_BARS).json()
    second = upload(api_as(bob), GOOD_BARS.replace("3246.28", "3246.29"), name="prices-v2.csv").json()

    assert second["id"] == first["id"] and second["sha256"] != first["sha256"]
    assert second["provenance"]["filename"] == "prices-v2.csv"
    assert Bar.objects.filter(dataset_id=first["id"]).count() == 3


@pytest.mark.parametrize(
    ("content", "kind", "expected"),
    [
        ("", "bars", ["The file is empty."]),
        ("date,open,high,low,close\n", "bars", ["The file has a header but no data rows."]),
        (
            b"date,value\n2020-01-02,1\n2020-01-03,\xff\xfe\n",
            "series",
            ["Line 3: not valid UTF-8 text; save the file as CSV (UTF-8)."],
        ),
        (
            "date,open,high,close,colour\n2020-01-02,1,2,1.5,red\n",
            "bars",
            [
                "Line 1: missing required column(s) low (a bars file needs date, open, high, low, close; "
                "volume is optional).",
                "Line 1: unknown column(s) colour; allowed columns are date, open, high, low, close, volume.",
            ],
        ),
        (
            "date,value,value,\n2020-01-02,1,1,\n",
            "series",
            ["Line 1: column 'value' appears more than once.", "Line 1: column 4 has no name."],
        ),
        (
            "date,open,high,low,close\n"
            "2020-01-02,1,2,0.5\n"
            "2020-01-03,abc,2,0.5,1.5\n"
            "2020-01-06,1,,0.5,1.5\n"
            "2020-01-07,-1,2,0.5,1.5\n"
            "2020-01-08,1,0.4,0.5,1.5\n"
            "01/09/2020,1,2,0.5,1.5\n"
            "2020-01-08,1,2,0.5,1.5\n"
            "2020-01-05,1,2,0.5,1.5\n",
            "bars",
            [
                "Line 2: expected 5 values, found 4.",
                "Line 3: open 'abc' is not a number.",
                "Line 4: high is empty.",
                "Line 5: open -1 is negative; a price cannot be below 0.",
                "Line 5: low 0.5 is above open -1.",
                "Line 6: high 0.4 is below low 0.5.",
                "Line 6: high 0.4 is below open 1.",
                "Line 6: high 0.4 is below close 1.5.",
                "Line 7: date '01/09/2020' is not an ISO date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS).",
                "Line 8: date 2020-01-08 repeats line 6.",
                "Line 9: date 2020-01-05 comes before line 6's 2020-01-08; rows must be in ascending date order.",
            ],
        ),
        (
            "date,value\n2020-01-02T10:00:00Z,1\n2020-01-02T11:00:00,2\n",
            "series",
            [
                "Line 3: date '2020-01-02T11:00:00' has no UTC offset but line 2's date has one; "
                "use one style for the whole file."
            ],
        ),
    ],
    ids=["empty", "header-only", "not-utf8", "columns", "header-names", "rows", "mixed-offsets"],
)
def test_every_problem_is_listed_and_nothing_is_stored(bob, api_as, content, kind, expected):
    response = upload(api_as(bob), content, kind=kind)

    assert response.status_code == 400
    assert response.json() == {"errors": expected}
    assert stored_nothing()


def test_too_large_file_is_refused_before_parsing(bob, api_as, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    response = upload(api_as(bob), GOOD_BARS + "2020-01-07,1,2,0.5,1.5,1\n" * 60)

    assert response.status_code == 400
    assert response.json() == {"errors": ["The file is 1.0 KB; the limit is 1.0 KB."]}  # 1025 bytes read, no more
    assert stored_nothing()


def test_bad_key_kind_and_missing_file(bob, api_as):
    client = api_as(bob)
    bad_key = upload(client, GOOD_BARS, key="no spaces please")
    assert bad_key.status_code == 400
    assert bad_key.json()["errors"][0].startswith("key: give the series a name")
    both = upload(client, "", key="", kind="bars")
    assert len(both.json()["errors"]) == 2  # the key and the empty file, together
    bad_kind = upload(client, GOOD_BARS, kind="ticks")
    assert bad_kind.json() == {"errors": ["kind: must be bars or series, got 'ticks'."]}
    no_file = client.post("/api/datasets/upload/", {"key": "X", "kind": "bars"}, format="multipart")
    assert no_file.status_code == 400 and no_file.json()["errors"][0].startswith("file:")
    assert stored_nothing()


def test_a_bars_key_cannot_be_reused_for_a_series(bob, api_as):
    upload(api_as(bob), GOOD_BARS)
    clash = upload(api_as(bob), "date,value\n2020-01-02,1\n2020-01-03,2\n", kind="series")
    assert clash.status_code == 400
    assert clash.json() == {"errors": ["key: MYFUND is already one of Team A's uploads as bars."]}
    assert not Observation.objects.filter(dataset__team__isnull=False).exists()


def test_viewer_cannot_upload_and_outsider_cannot_target_another_team(victor, charlie, api_as):
    assert upload(api_as(victor), GOOD_BARS).status_code == 403
    refused = upload(api_as(charlie), GOOD_BARS, team="team-a")
    assert refused.status_code == 400 and "not a member of team 'team-a'" in refused.json()["team"]
    assert not Dataset.objects.filter(key="MYFUND").exists()
