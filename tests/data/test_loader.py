import numpy as np
import pytest

import descend as ds
from descend.data import DataLoader, Dataset, TensorDataset


def make_data(n=10, features=3):
    X = np.arange(n * features, dtype=np.float64).reshape(n, features)
    return TensorDataset(X, np.arange(n))


@pytest.mark.parametrize(
    ("n", "batch_size", "drop_last", "updates"),
    [
        (1000, 100, False, 10),
        (1000, 300, False, 4),
        (1000, 300, True, 3),
        (10, "full", False, 1),
        (10, 1, False, 10),
        (10, 25, False, 1),
        (7, 7, True, 1),
    ],
)
def test_len_is_updates_per_epoch(n, batch_size, drop_last, updates):
    loader = DataLoader(make_data(n), batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == updates
    assert len(list(loader)) == updates


def test_batches_are_tensors_in_order_without_shuffle():
    loader = DataLoader(make_data(10), batch_size=4)
    batches = list(loader)
    assert [len(y) for _, y in batches] == [4, 4, 2]
    X, y = batches[0]
    assert isinstance(X, ds.Tensor) and isinstance(y, ds.Tensor)
    assert X.dtype == np.float32 and y.dtype == np.int64 and not X.requires_grad
    assert np.concatenate([y.data for _, y in batches]).tolist() == list(range(10))
    assert loader.batch_size == 4 and loader.n_samples == 10 and loader.dataset is not None


def test_unshuffled_batches_are_read_only_views():
    data = make_data(10)
    X, _ = next(iter(DataLoader(data, batch_size=5)))
    assert np.shares_memory(X.data, data.X)
    with pytest.raises(ValueError, match="read-only"):
        X.data[0, 0] = 1.0
    assert data.X.flags.writeable


def test_full_batch_and_sgd():
    data = make_data(6)
    loader = DataLoader(data, batch_size="full", shuffle=True, seed=1)
    assert loader.batch_size == 6
    ((X, y),) = list(loader)
    assert sorted(y.data.tolist()) == list(range(6))
    assert all(len(y) == 1 for _, y in DataLoader(data, batch_size=1))


def test_shuffle_visits_every_sample_once_and_rows_stay_paired():
    data = make_data(103)
    loader = DataLoader(data, batch_size=10, shuffle=True, seed=0)
    X = np.concatenate([xb.data for xb, _ in loader])
    y = np.concatenate([yb.data for _, yb in DataLoader(data, batch_size=10, shuffle=True, seed=0)])
    assert sorted(y.tolist()) == list(range(103))
    assert not np.array_equal(y, np.arange(103))
    np.testing.assert_array_equal(X, data.X[y])


def test_drop_last_drops_the_short_batch():
    loader = DataLoader(make_data(10), batch_size=4, shuffle=True, drop_last=True, seed=3)
    sizes = [len(y) for _, y in loader]
    assert sizes == [4, 4]


def epoch_orders(loader, epochs=3):
    return [np.concatenate([y.data for _, y in loader]).tolist() for _ in range(epochs)]


def test_seed_reproducible_and_epochs_differ():
    data = make_data(50)
    a = epoch_orders(DataLoader(data, batch_size=7, shuffle=True, seed=42))
    b = epoch_orders(DataLoader(data, batch_size=7, shuffle=True, seed=42))
    assert a == b
    assert a[0] != a[1] != a[2]
    assert a != epoch_orders(DataLoader(data, batch_size=7, shuffle=True, seed=43))


def test_without_seed_manual_seed_reproduces_and_library_stream_is_untouched():
    data = make_data(50)
    ds.manual_seed(5)
    a = epoch_orders(DataLoader(data, batch_size=7, shuffle=True))
    after_a = ds.randn(3).data
    ds.manual_seed(5)
    b = epoch_orders(DataLoader(data, batch_size=7, shuffle=True))
    assert a == b
    ds.manual_seed(5)
    np.testing.assert_array_equal(ds.randn(3).data, after_a)


def test_state_dict_resumes_exactly():
    data = make_data(40)
    loader = DataLoader(data, batch_size=8, shuffle=True, seed=9)
    epoch_orders(loader, 2)
    state = loader.state_dict()
    assert isinstance(state, dict) and state["bit_generator"] == "PCG64"
    expected = epoch_orders(loader, 2)
    resumed = DataLoader(data, batch_size=8, shuffle=True, seed=123)
    resumed.load_state_dict(state)
    assert epoch_orders(resumed, 2) == expected
    with pytest.raises(ValueError, match="expected the state of a PCG64 generator"):
        resumed.load_state_dict({"bit_generator": "MT19937"})
    with pytest.raises(ValueError, match="got 'list'"):
        resumed.load_state_dict([])


def test_tensor_dataset_batches_use_one_index_per_batch():
    class Counting(TensorDataset):
        calls = 0

        def __getitem__(self, index):
            Counting.calls += 1
            return super().__getitem__(index)

    data = Counting(np.zeros((1000, 2)), np.zeros(1000, dtype=np.int64))
    list(DataLoader(data, batch_size=100, shuffle=True, seed=0))
    assert Counting.calls == 10


def test_dataset_without_targets_gives_none():
    loader = DataLoader(TensorDataset(np.zeros((5, 2))), batch_size=2, shuffle=True, seed=0)
    assert all(y is None for _, y in loader)


class Squares(Dataset):
    def __init__(self, n, target=True):
        self.n, self.target = n, target

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        x = np.array([i, i + 0.5])
        return (x, i * i) if self.target else x


def test_generic_dataset_is_collated():
    batches = list(DataLoader(Squares(5), batch_size=2))
    X, y = batches[0]
    assert X.dtype == np.float32 and X.shape == (2, 2) and y.dtype == np.int64
    assert y.data.tolist() == [0, 1] and len(batches) == 3
    y_all = np.concatenate([y.data for _, y in DataLoader(Squares(9), 4, shuffle=True, seed=0)])
    assert sorted(y_all.tolist()) == [i * i for i in range(9)]
    X, y = next(iter(DataLoader(Squares(3, target=False), batch_size=3)))
    assert y is None and X.shape == (3, 2)


def test_generic_dataset_errors():
    class Ragged(Squares):
        def __getitem__(self, i):
            return np.zeros(i + 1), 0

    with pytest.raises(ValueError, match=r"x of sample 0 has shape \(1,\), of sample 1 \(2,\)"):
        list(DataLoader(Ragged(3), batch_size=3))

    class Triples(Squares):
        def __getitem__(self, i):
            return 1.0, 2.0, 3.0

    with pytest.raises(ValueError, match="sample 0 has 3 parts"):
        list(DataLoader(Triples(2), batch_size=2))

    class Mixed(Squares):
        def __getitem__(self, i):
            return (np.zeros(2), None) if i else (np.zeros(2), 1)

    with pytest.raises(ValueError, match="sample 0 of the dataset has a target but sample 1"):
        list(DataLoader(Mixed(2), batch_size=2))


def test_loader_errors():
    with pytest.raises(ValueError, match="empty dataset"):
        DataLoader(Squares(0))
    with pytest.raises(ValueError, match="batch_size must be a positive integer or 'full', got 0"):
        DataLoader(make_data(), batch_size=0)
    with pytest.raises(ValueError, match="got -5"):
        DataLoader(make_data(), batch_size=-5)
    with pytest.raises(ValueError, match="leaves no batch from 10 samples"):
        DataLoader(make_data(10), batch_size=11, drop_last=True)
    with pytest.raises(TypeError, match="wrap arrays in TensorDataset"):
        DataLoader(42)
    with pytest.raises(ValueError, match="seed must be an integer"):
        DataLoader(make_data(), seed=1.5)


def test_repr_mentions_batches():
    assert "10 samples, batch_size=3" in repr(DataLoader(make_data(10), 3))
    assert "4 batches" in repr(DataLoader(make_data(10), 3))
