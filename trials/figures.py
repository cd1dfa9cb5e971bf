"""What each metric key means to a person: its name, its group on the tear sheet, how it is shown, a definition.

Pages, the compare view and the trial table render metrics through this table, so a new metric appears with a
human name once it has a row here (and under its raw key, in the "ml" group, until then). Pure data: no Django.
"""

import math
from dataclasses import asdict, dataclass

# Tear-sheet groups, in page order.
GROUPS = {
    "ml": "Prediction quality",
    "strategy": "Strategy",
    "benchmark": "Against the benchmark",
    "overfitting": "Overfitting guards",
}
# How a value is shown: "percent" is a fraction shown as a percentage (0.0731 -> 7.31 %), "ratio" a plain number
# with a fixed number of decimals (Sharpe 0.84), "number" four significant digits (an RMSE of 0.01123), "count" an
# integer.
KINDS = ("percent", "ratio", "number", "count")


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    group: str
    kind: str
    definition: str
    better: str = "higher"  # "higher", "lower" or "neither": colours, study directions and sorting defaults

    def as_dict(self) -> dict:
        return asdict(self)


FIGURES: dict[str, Figure] = {
    figure.key: figure
    for figure in (
        # --- ML: how good the predictions are
        Figure("accuracy", "Accuracy", "ml", "percent", "Share of test bars whose up/down call was right."),
        Figure("precision", "Precision", "ml", "percent", "Of the bars called up, the share that went up."),
        Figure("recall", "Recall", "ml", "percent", "Of the bars that went up, the share called up."),
        Figure("f1", "F1 score", "ml", "percent", "Harmonic mean of precision and recall."),
        Figure("roc_auc", "ROC AUC", "ml", "ratio", "Chance that a random up bar gets a higher P(up) than a down bar."),
        Figure(
            "directional_accuracy",
            "Directional accuracy",
            "ml",
            "percent",
            "Share of test bars where the predicted sign of the move was right.",
        ),
        Figure("rmse", "RMSE", "ml", "number", "Root mean squared error of the predictions.", "lower"),
        Figure("mae", "MAE", "ml", "number", "Mean absolute error of the predictions.", "lower"),
        Figure("r2", "R²", "ml", "ratio", "Share of the variance of the target the predictions explain."),
        Figure(
            "qlike",
            "QLIKE",
            "ml",
            "number",
            "Volatility forecast loss on variances: mean(r/f − ln(r/f) − 1); 0 for a perfect forecast.",
            "lower",
        ),
        # --- Strategy: trading the predictions
        Figure(
            "annual_return", "Annual return", "strategy", "percent", "Compound annual growth of the strategy's equity."
        ),
        Figure(
            "annual_volatility",
            "Annual volatility",
            "strategy",
            "percent",
            "Standard deviation of the strategy's bar returns, annualised.",
            "lower",
        ),
        Figure(
            "sharpe",
            "Sharpe ratio",
            "strategy",
            "ratio",
            "Mean over standard deviation of the strategy's bar returns, annualised (zero risk-free rate).",
        ),
        Figure(
            "sortino",
            "Sortino ratio",
            "strategy",
            "ratio",
            "Mean bar return over the downside deviation, annualised.",
        ),
        Figure(
            "max_drawdown",
            "Max drawdown",
            "strategy",
            "percent",
            "Worst fall of the equity from its running peak.",
        ),
        Figure("hit_rate", "Hit rate", "strategy", "percent", "Share of the bars in the market that made money."),
        Figure(
            "turnover",
            "Turnover",
            "strategy",
            "percent",
            "Mean absolute change of position per bar.",
            "lower",
        ),
        Figure(
            "buy_hold_sharpe",
            "Buy-and-hold Sharpe",
            "strategy",
            "ratio",
            "Sharpe ratio of holding the instrument over the same test bars.",
            "neither",
        ),
    )
}

DECIMALS = {"percent": 1, "ratio": 2}


def figure_for(key: str) -> Figure:
    """The metadata of a metric; an unknown key still shows, under its raw name."""
    return FIGURES.get(key) or Figure(key, key.replace("_", " ").capitalize(), "ml", "number", "", "neither")


def figure_format(key: str, value) -> str:
    """A value as a person reads it: 7.3 % for a fraction, 0.84 for a ratio, '—' when there is none."""
    if value is None or isinstance(value, bool):
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "—"
    kind = figure_for(key).kind
    if kind == "percent":
        return f"{number * 100:.{DECIMALS['percent']}f} %"
    if kind == "ratio":
        return f"{number:.{DECIMALS['ratio']}f}"
    if kind == "count":
        return f"{number:,.0f}"
    return f"{number:.4g}"


def figure_groups(metrics: dict) -> list[tuple[str, str, list[tuple[Figure, object]]]]:
    """A trial's metrics grouped for the tear sheet: [(group key, group name, [(figure, value), ...]), ...].

    Known figures keep the table's order; unknown keys follow in the order they came."""
    known = [key for key in FIGURES if key in metrics]
    order = known + [key for key in metrics if key not in FIGURES]
    groups = []
    for group, title in GROUPS.items():
        rows = [(figure_for(key), metrics[key]) for key in order if figure_for(key).group == group]
        if rows:
            groups.append((group, title, rows))
    return groups


def metric_keys_in_order(keys) -> list[str]:
    """Metric keys in the table's order, unknown ones after (for columns of tables and CSVs)."""
    keys = set(keys)
    return [key for key in FIGURES if key in keys] + sorted(keys - FIGURES.keys())


def lower_is_better() -> set[str]:
    return {key for key, figure in FIGURES.items() if figure.better == "lower"}
