"""Trials side by side: parameters, data, validation and metrics as rows with one value per trial, each row marked
when the trials differ on it. The page, the CSV and the API all take these rows (pure Python, no Django)."""

import json
from dataclasses import dataclass, field

from .figures import figure_for, figure_format, metric_keys_in_order

MIN_TRIALS, MAX_TRIALS = 2, 10


class CompareInvalid(ValueError):
    """The ids do not name 2 to 10 trials."""


def compare_ids(values: list[str]) -> list[int]:
    """Ids from `?ids=1,2,3` (or repeated `ids=`), in the order given, without repeats; raises CompareInvalid."""
    ids: list[int] = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or len(part) > 18:
                raise CompareInvalid(f"ids must be trial numbers separated by commas, got {part!r}")
            if int(part) not in ids:
                ids.append(int(part))
    if not MIN_TRIALS <= len(ids) <= MAX_TRIALS:
        raise CompareInvalid(f"compare {MIN_TRIALS} to {MAX_TRIALS} different trials, got {len(ids)}")
    return ids


@dataclass
class Row:
    key: str
    label: str
    values: list  # raw values, one per trial (None when a trial has none)
    shown: list[str] = field(default_factory=list)  # as the page shows them
    definition: str = ""

    @property
    def differs(self) -> bool:
        return len({json.dumps(value, sort_keys=True, default=str) for value in self.values}) > 1


def _plain(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, list | dict):
        return ", ".join(map(str, value)) if isinstance(value, list) else json.dumps(value, sort_keys=True)
    return str(value)


def compare_sections(trials: list[dict]) -> list[tuple[str, list[Row]]]:
    """[(section name, rows)] for trials given as dicts with the API's fields (model, params, data, validation,
    seed, status, metrics, ...). Keys missing from a trial show as "—"."""

    def union(section: str) -> list[str]:
        return list(dict.fromkeys(key for trial in trials for key in (trial.get(section) or {})))

    def section_rows(section: str, keys: list[str], label=lambda key: key, show=lambda key, v: _plain(v)):
        rows = []
        for key in keys:
            values = [(trial.get(section) or {}).get(key) for trial in trials]
            rows.append(Row(key, label(key), values, [show(key, v) for v in values]))
        return rows

    overview = []
    for key, label in (("name", "Name"), ("model", "Model"), ("family", "Family"), ("status", "Status"),
                       ("created_by", "Creator"), ("seed", "Seed"), ("started_at", "Started"),
                       ("finished_at", "Finished")):  # fmt: skip
        values = [trial.get(key) for trial in trials]
        overview.append(Row(key, label, values, [_plain(v) for v in values]))
    metric_keys = metric_keys_in_order(union("metrics"))
    metrics = section_rows("metrics", metric_keys, label=lambda k: figure_for(k).label, show=figure_format)
    for row in metrics:
        row.definition = figure_for(row.key).definition
    return [
        ("Trial", overview),
        ("Parameters", section_rows("params", sorted(union("params")))),
        ("Data", section_rows("data", union("data"))),
        ("Validation", section_rows("validation", union("validation"))),
        ("Metrics", metrics),
    ]


def compare_csv_rows(trials: list[dict]) -> tuple[list[str], list[list]]:
    """Header and rows of the comparison as CSV: section, key, label, differs, then one raw value per trial."""
    header = ["section", "key", "label", "differs", *[f"trial {trial['id']}" for trial in trials]]
    rows = []
    for section, section_rows in compare_sections(trials):
        for row in section_rows:
            values = [json.dumps(v, sort_keys=True) if isinstance(v, list | dict) else v for v in row.values]
            rows.append([section, row.key, row.label, "yes" if row.differs else "no", *values])
    return header, rows
