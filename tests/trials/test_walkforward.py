"""Walk-forward splits: test blocks follow their training rows, separated by the embargo, never shuffled."""

import numpy as np
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


def test_purged_kfold_purges_before_and_embargoes_after_each_test_block():
    from trials.walkforward import purged_kfold_splits

    splits = purged_kfold_splits(600, folds=4, gap=4, embargo=6)
    assert [len(s.test) for s in splits] == [150, 150, 150, 150]
    covered = np.concatenate([s.test for s in splits])
    assert np.array_equal(covered, np.arange(600))  # every row is tested exactly once, in time order
    middle = splits[1]
    train = set(middle.train.tolist())
    assert 145 in train and 146 not in train  # 4 rows purged before the block at 150
    assert 305 not in train and 306 in train  # 6 rows of embargo after the block ending at 299
    assert not train & set(middle.test.tolist())


def test_cpcv_splits_and_paths():
    from math import comb

    from trials.walkforward import cpcv_path_count, cpcv_paths, cpcv_splits, group_blocks

    splits = cpcv_splits(600, groups=6, test_groups=2, gap=2, embargo=3)
    assert len(splits) == comb(6, 2) == 15
    paths = cpcv_paths(splits, 6)
    assert len(paths) == cpcv_path_count(6, 2) == comb(5, 1) == 5
    # Each path covers the six groups in order, and every (split, group) prediction is used exactly once.
    used = [pair for path in paths for pair in path]
    assert all([g for g, _ in path] == list(range(6)) for path in paths)
    assert len(used) == len(set(used)) == 15 * 2
    assert all(g in splits[i].groups for g, i in used)
    blocks = group_blocks(600, 6)
    for split in splits:
        train = set(split.train.tolist())
        for g in split.groups:
            block = blocks[g]
            assert not train & set(range(block.start - 2, block.stop + 3))


def test_purged_schemes_refuse_too_little_data():
    from trials.walkforward import cpcv_splits, purged_kfold_splits

    with pytest.raises(ValueError, match="40 usable rows are too few for 2 purged folds"):
        purged_kfold_splits(40, folds=2, gap=0, embargo=0)
    with pytest.raises(ValueError, match="too few for cpcv with 6 groups, 2 of them tested"):
        cpcv_splits(60, groups=6, test_groups=2, gap=0, embargo=0)
