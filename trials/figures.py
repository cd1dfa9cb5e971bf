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
        Figure("r2", "R²", "ml", "ratio", "1 − SS_res/SS_tot, SS_tot about the test period's own mean."),
        Figure(
            "qlike",
            "QLIKE",
            "ml",
            "number",
            "Loss on variances: mean(r/f − ln(r/f) − 1), volatilities floored at 1e-4; 0 for a perfect forecast.",
            "lower",
        ),
        # --- Strategy: trading the predictions
        Figure(
            "annual_return", "Annual return", "strategy", "percent", "Geometric: compound annual growth, net of costs."
        ),
        Figure(
            "annual_volatility",
            "Annual volatility",
            "strategy",
            "percent",
            "Standard deviation of the strategy's net bar returns, annualised.",
            "lower",
        ),
        Figure(
            "sharpe",
            "Sharpe ratio",
            "strategy",
            "ratio",
            "Mean over standard deviation of the net bar returns, annualised (zero risk-free rate).",
        ),
        Figure(
            "sortino",
            "Sortino ratio",
            "strategy",
            "ratio",
            "Mean net bar return over the downside deviation, annualised.",
        ),
        Figure(
            "max_drawdown",
            "Max drawdown",
            "strategy",
            "percent",
            "Worst fall of the net equity from its running peak.",
        ),
        Figure("hit_rate", "Hit rate", "strategy", "percent", "Share of the bars in the market that made money net."),
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
        Figure("gross_sharpe", "Gross Sharpe", "strategy", "ratio", "Sharpe ratio before costs (when costs are set)."),
        Figure(
            "gross_annual_return",
            "Gross annual return",
            "strategy",
            "percent",
            "Annual return before costs (when costs are set).",
        ),
        # --- Against the benchmark: buy-and-hold of the symbol, or data.benchmark, over the same bars
        Figure("alpha", "Alpha", "benchmark", "percent", "(mean r − β·mean b) × bars a year: Jensen's alpha."),
        Figure("beta", "Beta", "benchmark", "ratio", "cov(r, b) / var(b) of net and benchmark bar returns.", "neither"),
        Figure(
            "information_ratio",
            "Information ratio",
            "benchmark",
            "ratio",
            "Mean over standard deviation of the active return r − b, annualised.",
        ),
        Figure(
            "tracking_error",
            "Tracking error",
            "benchmark",
            "percent",
            "Standard deviation of the active return r − b, annualised.",
            "neither",
        ),
        # --- Overfitting guards
        Figure(
            "psr",
            "Probabilistic Sharpe",
            "overfitting",
            "percent",
            "P(true Sharpe > 0) given the returns' length, skewness and kurtosis (Bailey & López de Prado 2012).",
        ),
        Figure(
            "dsr",
            "Deflated Sharpe",
            "overfitting",
            "percent",
            "PSR against the expected best Sharpe of the research question's N trials (Bailey & López de Prado 2014).",
        ),
        Figure(
            "trials_in_question",
            "Trials in question",
            "overfitting",
            "count",
            "N: the team's trials of this symbol, target, horizon and date range, any status, refusals included.",
            "neither",
        ),
        Figure(
            "cpcv_paths", "CPCV paths", "overfitting", "count", "φ = C(N−1, k−1) backtest paths of cpcv.", "neither"
        ),
        Figure("cpcv_sharpe_mean", "Path Sharpe, mean", "overfitting", "ratio", "Mean Sharpe ratio of the cpcv paths."),
        Figure(
            "cpcv_sharpe_std",
            "Path Sharpe, std",
            "overfitting",
            "ratio",
            "Sample standard deviation of the cpcv paths' Sharpe ratios.",
            "lower",
        ),
        Figure("cpcv_sharpe_p5", "Path Sharpe, 5th pct", "overfitting", "ratio", "5th percentile of path Sharpes."),
    )
}

# Figures of a study rather than of one trial.
STUDY_FIGURES: dict[str, Figure] = {
    "pbo": Figure(
        "pbo",
        "Probability of backtest overfitting",
        "overfitting",
        "percent",
        "Share of CSCV splits where the in-sample best evaluation is at or below the median out of sample "
        "(Bailey et al. 2015).",
        "lower",
    ),
}

DECIMALS = {"percent": 1, "ratio": 2}


def figure_for(key: str) -> Figure:
    """The metadata of a metric; an unknown key still shows, under its raw name."""
    return (
        FIGURES.get(key)
        or STUDY_FIGURES.get(key)
        or Figure(key, key.replace("_", " ").capitalize(), "ml", "number", "", "neither")
    )


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


# With costs set, these net figures are shown beside their before-costs value.
GROSS_OF = {"sharpe": "gross_sharpe", "annual_return": "gross_annual_return"}
# The per-fold table's metric columns, by target: the strategy and its benchmark figures, or the forecast's errors.
FOLD_COLUMNS = {
    "direction": ["sharpe", "annual_return", "alpha", "beta", "information_ratio", "directional_accuracy"],
    "return": ["sharpe", "annual_return", "alpha", "beta", "information_ratio", "directional_accuracy"],
    "volatility": ["rmse", "mae", "qlike"],
}


def metric_sections(metrics: dict, *, across_seeds: dict | None = None) -> list[dict]:
    """The tear sheet's metric tables, one a group (figure_groups' order). Each row is a figure and its value; a
    net figure with a before-costs twin carries it as `gross` (the twin's own row is left out), and when the trial
    ran several seeds every row carries the seeds' `mean` and `std`. Each section says whether it has a gross and
    a seeds column, so the template draws only the columns that have something in them."""
    mean = (across_seeds or {}).get("mean") or {}
    std = (across_seeds or {}).get("std") or {}
    shown_beside = {GROSS_OF[key] for key in GROSS_OF if key in metrics and metrics.get(GROSS_OF[key]) is not None}
    sections = []
    for group, title, rows in figure_groups(metrics):
        table = []
        for figure, value in rows:
            if figure.key in shown_beside:
                continue
            twin = GROSS_OF.get(figure.key)
            table.append({
                "figure": figure,
                "value": value,
                "gross": (twin, metrics[twin]) if twin in shown_beside else None,
                "mean": mean.get(figure.key),
                "std": std.get(figure.key),
            })  # fmt: skip
        sections.append({
            "group": group,
            "title": title,
            "rows": table,
            "has_gross": any(row["gross"] for row in table),
            "has_seeds": any(row["mean"] is not None for row in table),
        })  # fmt: skip
    return sections
