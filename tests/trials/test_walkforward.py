"""Walk-forward splits: test blocks follow their training rows, separated by the embargo, never shuffled."""

import pytest

from trials.walkforward import effective_gap, expanding_window_splits


def test_expanding_window_with_gap():
    splits = expanding_window_splits(600, folds=5, gap=3)
    assert len(splits) == 5
    test_size = 600 // 6
    for k, split in enumerate(splits):
        assert split.train.start == 0
        assert split.test.start == 100 + k * test_size
        assert split.train.stop == split.test.start - 3  # three bars of embargo
        assert len(split.test) == test_size
    # Test blocks tile the end of the data without overlap.
    assert [s.test.start for s in splits[1:]] == [s.test.stop for s in splits[:-1]]
    assert splits[-1].test.stop == 600


def test_every_training_row_precedes_every_test_row():
    for split in expanding_window_splits(1000, folds=7, gap=0):
        assert max(split.train) < min(split.test)


def test_too_few_rows_is_a_clear_error():
    with pytest.raises(ValueError, match="60 usable rows are too few for 10 folds"):
        expanding_window_splits(60, folds=10, gap=1)


def test_embargo_covers_the_label_horizon():
    assert effective_gap(gap=0, horizon=1) == 0
    assert effective_gap(gap=1, horizon=5) == 4
    assert effective_gap(gap=10, horizon=5) == 10
