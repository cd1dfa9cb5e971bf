"""The metric metadata the pages show: every metric a trial computes has a human name, a group and a definition,
and values read as people read them."""

from trials.exports import METRIC_COLUMNS
from trials.figures import FIGURES, GROUPS, KINDS, figure_for, figure_format, figure_groups, metric_keys_in_order


def test_every_computed_metric_has_metadata():
    missing = [key for key in METRIC_COLUMNS if key not in FIGURES]
    assert missing == []
    for figure in FIGURES.values():
        assert figure.group in GROUPS and figure.kind in KINDS and figure.definition
        assert figure.better in ("higher", "lower", "neither")


def test_fractions_show_as_percentages_and_ratios_with_two_decimals():
    assert figure_format("annual_return", 0.0731) == "7.3 %"
    assert figure_format("max_drawdown", -0.2154) == "-21.5 %"
    assert figure_format("sharpe", 0.8412) == "0.84"
    assert figure_format("rmse", 0.011234) == "0.01123"
    assert figure_format("sharpe", None) == "—"
    assert figure_format("sharpe", float("nan")) == "—"


def test_unknown_keys_still_show_under_their_raw_name():
    figure = figure_for("deflated_something")
    assert (figure.label, figure.group, figure.kind) == ("Deflated something", "ml", "number")
    groups = figure_groups({"sharpe": 1.0, "accuracy": 0.5, "deflated_something": 2.0})
    assert [(group, [f.key for f, _ in rows]) for group, _, rows in groups] == [
        ("ml", ["accuracy", "deflated_something"]),
        ("strategy", ["sharpe"]),
    ]
    assert metric_keys_in_order({"zeta", "sharpe", "accuracy"}) == ["accuracy", "sharpe", "zeta"]
