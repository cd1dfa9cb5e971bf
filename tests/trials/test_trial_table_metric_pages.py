"""The trial table sorted by a metric, paged off the metric's index (trials.selectors.MetricSlices): the same
trials in the same order as the sorted join (trial_table), page after page, across ties and trials without it."""

import pytest
from django.core.paginator import Paginator

from tests.factories import StoredTrialFactory
from trials.metric_index import metrics_index
from trials.selectors import MetricSlices, trial_table, trial_table_pages

pytestmark = pytest.mark.django_db

# Sharpe values with runs of ties (0.5 four times, 1.0 three times) and trials with no Sharpe at all (None), across
# two models and three statuses; a trial of Team B (charlie's) is scored best of all and must never appear.
SHARPES = [0.5, None, 1.0, 0.5, -0.2, None, 1.0, 0.5, 2.0, None, 0.5, 1.0, -0.2, None, 0.0, 3.5]
STATUSES = ["succeeded", "failed", "succeeded", "cancelled"]


@pytest.fixture
def scored(alice, team_a, charlie, team_b):
    trials = []
    for n, sharpe in enumerate(SHARPES):
        metrics = {"accuracy": 0.5 + n / 100} | ({} if sharpe is None else {"sharpe": sharpe})
        model = ("logistic_regression", "linear") if n % 3 else ("random_forest_classifier", "forest")
        trials.append(
            StoredTrialFactory(
                team=team_a, created_by=alice, name=f"t{n}", status=STATUSES[n % 4], metrics=metrics,
                model_key=model[0], family=model[1],
            )
        )  # fmt: skip
    trials.append(StoredTrialFactory(team=team_b, created_by=charlie, metrics={"sharpe": 9.0}))
    metrics_index(trials=trials)
    return trials


def _paged(pages, size: int) -> list[int]:
    paginator = Paginator(pages, size)
    return [trial.pk for number in paginator.page_range for trial in paginator.page(number).object_list]


FILTERS = [
    {},
    {"model": "random_forest_classifier"},
    {"model": "logistic"},  # a fragment: several keys
    {"status": "succeeded"},
    {"metric": "sharpe", "metric_min": 0.5, "metric_max": 1.0},
    {"metric": "accuracy", "metric_min": 0.55},
    {"q": "t1"},
]


@pytest.mark.parametrize("filters", FILTERS)
@pytest.mark.parametrize("sort", ["-sharpe", "sharpe"])
@pytest.mark.parametrize("size", [1, 3, 5, 50])
def test_pages_off_the_index_equal_the_sorted_join(scored, alice, filters, sort, size):
    pages = trial_table_pages(user=alice, filters=filters, sort=sort)
    assert isinstance(pages, MetricSlices)
    expected = list(trial_table(user=alice, filters=filters, sort=sort).values_list("pk", flat=True))
    assert _paged(pages, size) == expected
    assert scored[-1].pk not in expected and len(expected) == len(set(expected))


def test_ties_go_by_id_in_the_sorts_direction_and_unscored_trials_come_last(scored, alice):
    pk = [trial.pk for trial in scored]
    best_first = _paged(trial_table_pages(user=alice, sort="-sharpe"), 4)
    assert best_first[:4] == [pk[15], pk[8], pk[11], pk[6]]  # 3.5, 2.0, then the 1.0s newest first
    unscored = [pk[n] for n, sharpe in enumerate(SHARPES) if sharpe is None]
    assert best_first[-len(unscored) :] == sorted(unscored, reverse=True)
    worst_first = _paged(trial_table_pages(user=alice, sort="sharpe"), 4)
    assert worst_first[:3] == [pk[4], pk[12], pk[14]]  # -0.2 oldest first, then 0.0
    assert worst_first[-len(unscored) :] == sorted(unscored)


def test_a_page_is_one_query_wherever_it_is(scored, alice, django_assert_num_queries):
    pages = trial_table_pages(user=alice, filters={"status": "succeeded"}, sort="-sharpe")
    for page in (slice(0, 3), slice(3, 6), slice(9, 12), slice(30, 33)):
        with django_assert_num_queries(1):
            pages[page]


def test_a_team_without_the_metric_and_an_outsider(scored, alice, charlie):
    assert _paged(trial_table_pages(user=alice, sort="-rmse"), 5) == list(
        trial_table(user=alice, sort="-id").values_list("pk", flat=True)
    )  # nobody has an RMSE: every trial is unscored, newest first
    assert _paged(trial_table_pages(user=charlie, sort="-sharpe"), 5) == [scored[-1].pk]
