"""Validation splits of a time series, never shuffled.

- walk_forward: expanding window, every test block lies strictly after its training rows (a tradable backtest);
- purged_kfold and cpcv: training rows on both sides of the test blocks, with the rows whose labels overlap a
  test block purged and an embargo after each block (for model selection, not a tradable backtest).

Row i's label is known at the close of bar i + horizon. Before a test block starting at s, training rows must end
`gap` ≥ horizon − 1 bars earlier (the last one's label is then known at s); after a block ending at e, training
resumes `embargo` ≥ horizon − 1 bars later, so no training label spans a test bar's.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import comb
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the web reads split_count and the notes; numpy loads where splits are made (the worker)
    import numpy as np

SCHEMES = ("walk_forward", "purged_kfold", "cpcv")
NOT_TRADABLE = "trains on data after the test period, purged: for model selection, not a tradable backtest"


def validation_note(validation: dict) -> str:
    """What a scheme's results are: "" for walk_forward (its equity curve is a tradable backtest), else NOT_TRADABLE
    (the API's validation_note and the trial page's label)."""
    return "" if (validation or {}).get("scheme", "walk_forward") == "walk_forward" else NOT_TRADABLE


@dataclass(frozen=True)
class Split:
    fold: int
    train: range | np.ndarray
    test: range | np.ndarray
    groups: tuple[int, ...] = ()  # cpcv: the test groups of this split


def _too_few(n_samples: int, what: str, min_train: int) -> ValueError:
    return ValueError(
        f"{n_samples} usable rows are too few for {what} "
        f"(each fold needs at least {min_train} training rows): widen the date range or use fewer folds"
    )


def expanding_window_splits(n_samples: int, *, folds: int, gap: int, min_train: int = 50) -> list[Split]:
    """`folds` equal, consecutive test blocks at the end of the data; each trains on everything before it
    less `gap` bars (the embargo between the last training row and the first test row)."""
    if folds < 1:
        raise ValueError("folds must be at least 1")
    if gap < 0:
        raise ValueError("gap must not be negative")
    test_size = n_samples // (folds + 1)
    first_test = n_samples - folds * test_size
    if test_size < 1 or first_test - gap < min_train:
        raise _too_few(n_samples, f"{folds} folds with a gap of {gap}", min_train)
    splits = []
    for fold in range(folds):
        test_start = first_test + fold * test_size
        splits.append(
            Split(fold=fold, train=range(0, test_start - gap), test=range(test_start, test_start + test_size))
        )
    return splits


def group_blocks(n_samples: int, count: int) -> list[range]:
    """`count` consecutive blocks covering all rows; the first n mod count blocks get one row more."""
    import numpy as np

    edges = np.linspace(0, n_samples, count + 1).round().astype(int)
    return [range(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _purged_train(n_samples: int, tests: list[range], gap: int, embargo: int) -> np.ndarray:
    import numpy as np

    keep = np.ones(n_samples, dtype=bool)
    for block in tests:
        keep[max(0, block.start - gap) : min(n_samples, block.stop + embargo)] = False
    return np.flatnonzero(keep)


def purged_kfold_splits(n_samples: int, *, folds: int, gap: int, embargo: int, min_train: int = 50) -> list[Split]:
    """k consecutive test blocks covering the data; each trains on all other rows less `gap` rows before the
    block (purging) and `embargo` rows after it."""
    import numpy as np

    if folds < 2:
        raise ValueError("folds must be at least 2")
    blocks = group_blocks(n_samples, folds)
    splits = []
    for fold, block in enumerate(blocks):
        train = _purged_train(n_samples, [block], gap, embargo)
        if len(block) < 1 or len(train) < min_train:
            what = f"{folds} purged folds with a gap of {gap} and an embargo of {embargo}"
            raise _too_few(n_samples, what, min_train)
        splits.append(Split(fold=fold, train=train, test=np.arange(block.start, block.stop)))
    return splits


def cpcv_splits(
    n_samples: int, *, groups: int, test_groups: int, gap: int, embargo: int, min_train: int = 50
) -> list[Split]:
    """Combinatorial purged cross-validation (López de Prado, 2018, ch. 12): the rows cut into `groups` consecutive
    groups; every choice of `test_groups` of them is one split, trained on the other groups, purged and embargoed
    around each test group."""
    if groups < 2 or not 1 <= test_groups < groups:
        raise ValueError("cpcv needs at least 2 groups and 1 <= test_groups < groups")
    import numpy as np

    blocks = group_blocks(n_samples, groups)
    splits = []
    for fold, chosen in enumerate(combinations(range(groups), test_groups)):
        tests = [blocks[g] for g in chosen]
        train = _purged_train(n_samples, tests, gap, embargo)
        if min(len(b) for b in tests) < 1 or len(train) < min_train:
            raise _too_few(n_samples, f"cpcv with {groups} groups, {test_groups} of them tested", min_train)
        test = np.concatenate([np.arange(b.start, b.stop) for b in tests])
        splits.append(Split(fold=fold, train=train, test=test, groups=tuple(chosen)))
    return splits


def cpcv_path_count(groups: int, test_groups: int) -> int:
    """φ = C(N − 1, k − 1): how many complete backtest paths the C(N, k) splits make."""
    return comb(groups - 1, test_groups - 1)


def cpcv_paths(splits: list[Split], groups: int) -> list[list[tuple[int, int]]]:
    """Each path as (group, split index) for every group in time order: path p takes, for group g, the p-th split
    (in split order) that tests g, so every split's prediction of every group it tests is used exactly once."""
    testing = {g: [i for i, split in enumerate(splits) if g in split.groups] for g in range(groups)}
    count = len(testing[0])
    return [[(g, testing[g][p]) for g in range(groups)] for p in range(count)]


def effective_gap(*, gap: int, horizon: int) -> int:
    """The embargo actually applied: a label at t uses prices up to t+horizon, so at least horizon-1 bars must
    separate training from testing or the last training labels would overlap the test period."""
    return max(gap, horizon - 1)


def split_count(validation: dict) -> int | None:
    """How many models a trial trains per seed (its folds, or C(N, k) for cpcv)."""
    if validation.get("scheme") == "cpcv":
        return comb(validation["groups"], validation["test_groups"])
    return validation.get("folds")


def splits_for(validation: dict, n_samples: int, *, horizon: int) -> list[Split]:
    """The splits a trial's validation spec asks for (ValueError, with the reason, when the data is too short)."""
    scheme = validation.get("scheme", "walk_forward")
    gap = effective_gap(gap=validation.get("gap", 1), horizon=horizon)
    if scheme == "walk_forward":
        return expanding_window_splits(n_samples, folds=validation["folds"], gap=gap)
    embargo = effective_gap(gap=validation.get("embargo", 0), horizon=horizon)
    if scheme == "purged_kfold":
        return purged_kfold_splits(n_samples, folds=validation["folds"], gap=gap, embargo=embargo)
    if scheme == "cpcv":
        return cpcv_splits(
            n_samples, groups=validation["groups"], test_groups=validation["test_groups"], gap=gap, embargo=embargo
        )
    raise ValueError(f"unknown validation scheme {scheme!r}")
