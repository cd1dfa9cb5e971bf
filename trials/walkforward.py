"""Expanding-window walk-forward splits: every test block lies strictly after its training rows."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Split:
    fold: int
    train: range
    test: range


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
        raise ValueError(
            f"{n_samples} usable rows are too few for {folds} folds with a gap of {gap} "
            f"(each fold needs at least {min_train} training rows): widen the date range or use fewer folds"
        )
    splits = []
    for fold in range(folds):
        test_start = first_test + fold * test_size
        splits.append(
            Split(fold=fold, train=range(0, test_start - gap), test=range(test_start, test_start + test_size))
        )
    return splits


def effective_gap(*, gap: int, horizon: int) -> int:
    """The embargo actually applied: a label at t uses prices up to t+horizon, so at least horizon-1 bars must
    separate training from testing or the last training labels would overlap the test period."""
    return max(gap, horizon - 1)
