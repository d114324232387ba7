import numpy as np
import pytest

from descend.data import DataLoader, ShardedLoader, TensorDataset
from descend.data.shard import share


def test_share_splits_rows_contiguously_first_ranks_one_more():
    assert [share(10, r, 4) for r in range(4)] == [
        slice(0, 3),
        slice(3, 6),
        slice(6, 8),
        slice(8, 10),
    ]
    assert [share(2, r, 3) for r in range(3)] == [slice(0, 1), slice(1, 2), slice(2, 2)]


@pytest.mark.parametrize(("n", "batch", "size", "shuffle"), [(23, 8, 3, True), (10, 4, 2, False)])
def test_shards_put_together_are_the_loaders_batches(n, batch, size, shuffle):
    X = np.arange(2 * n, dtype=np.float64).reshape(n, 2)
    data = TensorDataset(X, np.arange(n))
    whole = list(DataLoader(data, batch_size=batch, shuffle=shuffle, seed=5))
    shards = [ShardedLoader(DataLoader(data, batch, shuffle, seed=5), r, size) for r in range(size)]
    parts = [list(s) for s in shards]
    assert all(len(s) == len(whole) == len(p) for s, p in zip(shards, parts))
    for b, (X_batch, y_batch) in enumerate(whole):
        joined = np.concatenate([p[b][1].data for p in parts])
        np.testing.assert_array_equal(joined, y_batch.data)
        np.testing.assert_array_equal(np.concatenate([p[b][0].data for p in parts]), X_batch.data)
    assert shards[0].global_batch == len(whole[-1][1])
    assert shards[1].n_samples == n and shards[1].batch_size == batch


def test_an_empty_share_is_a_batch_of_zero_rows():
    data = TensorDataset(np.ones((9, 3)), np.arange(9))
    last = list(ShardedLoader(DataLoader(data, batch_size=4), rank=2, size=3))[-1]
    X, y = last  # the last batch has 1 sample: process 2 gets none of it
    assert X.shape == (0, 3) and y.shape == (0,) and y.dtype == np.int64


def test_state_is_the_loaders_and_bad_arguments():
    loader = DataLoader(TensorDataset(np.ones((6, 1))), batch_size=2, shuffle=True, seed=1)
    shard = ShardedLoader(loader, 0, 2)
    assert shard.state_dict() == loader.state_dict()
    with pytest.raises(ValueError, match=r"rank must be in \[0, 2\), got 2"):
        ShardedLoader(loader, 2, 2)
    with pytest.raises(TypeError, match="needs a DataLoader"):
        ShardedLoader([1, 2], 0, 1)


def test_row_shares_put_together_are_the_loaders_rows():
    from descend.data.shard import RowShare

    loader = DataLoader(TensorDataset(np.arange(23.0).reshape(23, 1)), batch_size=4)
    parts = [[x.data[:, 0].tolist() for x, _ in RowShare(loader, r, 3)] for r in range(3)]
    assert parts[1] == [[8.0, 9.0, 10.0, 11.0], [12.0, 13.0, 14.0, 15.0]]
    assert sum((sum(p, []) for p in parts), []) == list(np.arange(23.0))


def test_a_fingerprint_changes_with_any_value_label_or_row(tmp_path):
    from descend.data import load_npy
    from descend.data.shard import fingerprint

    X, y = np.arange(40.0).reshape(20, 2), np.arange(20) % 2
    same = fingerprint(X.copy(), y.copy())
    assert same == fingerprint(X, y) == fingerprint(TensorDataset(X, y, dtype=np.float64))
    changed = X.copy()
    changed[7, 1] += 1e-9
    assert fingerprint(changed, y) != same
    assert fingerprint(X, 1 - y) != same
    assert fingerprint(X[:19], y[:19]).startswith("19 rows of shape (2,) float64")
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    disk = load_npy(tmp_path / "X.npy", tmp_path / "y.npy")
    disk.transform = lambda x: x * 0  # the rows as stored count, not a transform
    assert fingerprint(disk) == fingerprint(X.astype(np.float32), y)
    assert fingerprint(disk.subset([1, 2])).startswith("2 rows of shape (2,) float32")
