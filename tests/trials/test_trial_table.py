"""The trial table: server-side pages, sort by any column or metric, filters, chosen metric columns, and a fixed
number of queries whatever the sort or the number of trials."""

import pytest
from django.test import Client

from trials.metric_index import metrics_index
from trials.models import Trial

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def table(alice, bob, team_a, make_trial):
    """Trials with metrics copied from real runs' shapes: three scored, the rest queued."""
    made = [make_trial(alice if n % 2 else bob, team_a, name=f"probe {n:02d}") for n in range(8)]
    for trial, sharpe, rmse in zip(made[:3], (0.4, 1.2, -0.3), (None, None, 0.011), strict=True):
        metrics = {"sharpe": sharpe, "accuracy": 0.52} if rmse is None else {"sharpe": sharpe, "rmse": rmse}
        Trial.objects.filter(pk=trial.pk).update(metrics=metrics)
    metrics_index(trials=Trial.objects.filter(pk__in=[t.pk for t in made[:3]]))  # their typed rows, as a run writes
    return made


def _ids(page: str) -> list[int]:
    import re

    return [int(pk) for pk in re.findall(r'<tr data-trial="(\d+)">', page)]


def test_sort_by_a_metric_best_first_and_unscored_last(table, alice):
    page = _client(alice).get("/?sort=-sharpe").content.decode()
    assert _ids(page)[:3] == [table[1].pk, table[0].pk, table[2].pk]
    ascending = _ids(_client(alice).get("/?sort=sharpe").content.decode())
    assert ascending[:3] == [table[2].pk, table[0].pk, table[1].pk]  # trials without a Sharpe stay last
    assert 'aria-sort="ascending"' in _client(alice).get("/?sort=sharpe").content.decode()


def test_accuracy_and_rmse_have_columns_of_their_own(table, alice):
    page = _client(alice).get("/").content.decode()
    assert 'data-column="accuracy"' in page and 'data-column="rmse"' in page
    assert "52.0 %" in page and "0.011" in page


def test_pages_of_fifty_say_where_they_are(alice, team_a, make_trial):
    template = make_trial(alice, team_a, name="first")
    fields = {f: getattr(template, f) for f in ("model_key", "family", "target", "params", "data", "validation")}
    Trial.objects.bulk_create(Trial(team=team_a, created_by=alice, name=f"copy {n}", **fields) for n in range(59))
    client = _client(alice)
    assert "showing 1–50 of 60" in client.get("/").content.decode()
    second = client.get("/?page=2").content.decode()
    assert "showing 51–60 of 60" in second and len(_ids(second)) == 10


def test_filters_by_model_fragment_creator_status_and_name(table, alice, bob):
    client = _client(alice)
    assert len(_ids(client.get("/?model=Logistic").content.decode())) == 8  # part of the name, any case
    assert _ids(client.get("/?model=forest").content.decode()) == []
    by_bob = _ids(client.get("/?created_by=bob").content.decode())
    assert sorted(by_bob) == sorted(t.pk for t in table if t.created_by_id == bob.pk)
    assert _ids(client.get("/?q=probe+03").content.decode()) == [table[3].pk]
    empty = client.get("/?status=failed").content.decode()
    assert "No trials match these filters" in empty and "No trials yet" not in empty


def test_a_bad_filter_is_named_not_a_500(alice, table):
    response = _client(alice).get("/?study=abc&since=yesterday")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a whole number" in page and "Enter a valid date" in page
    api = _client(alice).get("/api/trials/export.csv?study=abc")
    assert api.status_code == 400 and "study" in api.json()


def test_export_uses_the_same_filters_as_the_table(alice, table):
    response = _client(alice).get("/api/trials/export.csv?q=probe+0&created_by=alice")
    lines = b"".join(response.streaming_content).decode().strip().splitlines()
    assert len(lines) == 1 + sum(1 for t in table if t.created_by.username == "alice")


def test_chosen_metric_columns_are_remembered_per_user(alice, bob, table):
    client = _client(alice)
    response = client.post("/trials/columns/", {"columns": ["sortino", "hit_rate", "bogus"], "next": "/?sort=name"})
    assert response.status_code == 302 and response["Location"] == "/?sort=name"
    alice.refresh_from_db()
    assert alice.preferences["trial_columns"] == ["sortino", "hit_rate"]
    page = _client(alice).get("/").content.decode()
    assert 'data-column="sortino"' in page and 'data-column="sharpe"' not in page
    assert 'data-column="sharpe"' in _client(bob).get("/").content.decode()  # bob keeps the defaults
    outside = client.post("/trials/columns/", {"columns": ["sharpe"], "next": "https://example.com/"})
    assert outside["Location"] == "/"


def test_outsider_sees_none_of_team_a(charlie, table):
    page = _client(charlie).get("/").content.decode()
    assert _ids(page) == [] and "No trials yet" in page


@pytest.mark.parametrize("sort", ["-created", "name", "-sharpe", "rmse", "symbol", "created_by", "status"])
def test_the_first_page_costs_the_same_queries_whatever_the_sort_or_size(
    sort, alice, team_a, make_trial, django_assert_num_queries
):
    client = _client(alice)
    template = make_trial(alice, team_a)
    with django_assert_num_queries(QUERIES):
        assert len(_ids(client.get(f"/?sort={sort}").content.decode())) == 1
    fields = {f: getattr(template, f) for f in ("model_key", "family", "target", "params", "data", "validation")}
    Trial.objects.bulk_create(
        Trial(team=team_a, created_by=alice, metrics={"sharpe": n / 10}, **fields) for n in range(120)
    )
    with django_assert_num_queries(QUERIES):
        page = client.get(f"/?sort={sort}").content.decode()
    assert len(_ids(page)) == 50


QUERIES = 8  # session, user (with the chosen columns), studies and creators for the filters, team ids, count, a page,
# and the header bell's unread count


def test_a_large_team_is_counted_up_to_a_cap(alice, table, monkeypatch):
    from trials.views import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "COUNT_CAP", 5)
    page = _client(alice).get("/").content.decode()
    assert "showing 1–5 of 5+" in page or "of 5+" in page
    monkeypatch.setattr(CappedPaginator, "COUNT_CAP", 100)
    assert "of 8" in _client(alice).get("/").content.decode()


def test_never_null_columns_sort_in_index_order(alice, table):
    from trials.selectors import trial_table

    newest = str(trial_table(user=alice, sort="-created").query)
    assert "NULLS LAST" not in newest and '"created_at" DESC' in newest
    assert "NULLS LAST" in str(trial_table(user=alice, sort="-sharpe").query)  # unscored trials still last


def test_a_row_shows_the_trial_with_what_people_typed_escaped(alice, team_a, make_trial):
    """The rows are written in Python (trials.views._table_rows): each cell is the trial's value, escaped."""
    from django.utils import timezone

    trial = make_trial(alice, team_a, name='<img src=x onerror="alert(1)"> & co')
    Trial.objects.filter(pk=trial.pk).update(metrics={"sharpe": 1.23456, "max_drawdown": -0.0712})
    trial.refresh_from_db()
    page = _client(alice).get("/").content.decode()
    row = page[page.index(f'<tr data-trial="{trial.pk}">') :].split("</tr>")[0]
    created = timezone.localtime(trial.created_at).strftime("%Y-%m-%d %H:%M")
    assert f'<a href="/trials/{trial.pk}/">{trial.pk}</a>' in row
    assert "<td>&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; co</td>" in row and "<img" not in row
    assert f"<td><code>{trial.model_key}</code></td><td>{trial.data['symbol']}</td><td>{trial.target}</td>" in row
    assert f'<span class="status status-{trial.status}">{trial.status}</span>' in row
    assert f"<td>alice</td><td>{created}</td>" in row
    assert '<td class="num" data-column="sharpe">1.23</td>' in row
    assert '<td class="num" data-column="max_drawdown">-7.1 %</td>' in row
    assert '<td class="num" data-column="rmse">—</td>' in row


@pytest.mark.parametrize("value", [None, "", "b", 2, "<&\"'>"])
def test_the_filters_quick_select_writes_what_djangos_select_writes(value):
    from django import forms

    from trials.forms import QuickSelect

    choices = [("", "any"), ("b", "B & b"), (2, "2: <study>"), ("<&\"'>", "odd 'value'")]
    attrs = {"id": "id_x", "required": True, "disabled": False, "data-note": 'a "b"'}
    assert QuickSelect(attrs, choices).render("x", value) == forms.Select(attrs, choices).render("x", value)


def test_the_study_filter_offers_the_teams_studies_newest_first(alice, charlie, team_a, team_b):
    from trials.models import Study

    def study(team, user, name):
        fields = {"model_keys": ["logistic_regression"], "metric": "sharpe", "direction": "maximize", "budget": 4}
        return Study.objects.create(team=team, created_by=user, name=name, **fields)

    older, newer, unnamed = study(team_a, alice, "C <sweep>"), study(team_a, alice, "gamma"), study(team_a, alice, "")
    elsewhere = study(team_b, charlie, "other team's")
    page = _client(alice).get("/").content.decode()
    select = page[page.index('<select name="study"') :].split("</select>")[0]
    offered = [line.strip() for line in select.splitlines() if "<option" in line]
    assert offered == [
        '<option value="" selected>any</option>',
        f'<option value="{unnamed.pk}">{unnamed.pk}: sharpe</option>',
        f'<option value="{newer.pk}">{newer.pk}: gamma</option>',
        f'<option value="{older.pk}">{older.pk}: C &lt;sweep&gt;</option>',
    ]
    assert f'value="{elsewhere.pk}"' not in select
