import pytest

import descend as ds
from descend import threads


@pytest.fixture(autouse=True)
def restore_threads(monkeypatch):
    before = ds.get_num_threads()
    monkeypatch.setattr(threads, "_set_by_user", None)
    yield
    threads._blas().limit(limits=before)


def test_set_and_get_num_threads():
    ds.set_num_threads(1)
    assert ds.get_num_threads() == 1
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="positive integer"):
            ds.set_num_threads(bad)


@pytest.mark.parametrize(
    ("variable", "processes"),
    [("MPI_LOCALNRANKS", 2), ("OMPI_COMM_WORLD_LOCAL_SIZE", 3), ("MV2_COMM_WORLD_LOCAL_SIZE", 64)],
)
def test_each_process_gets_its_share_of_the_cores(monkeypatch, variable, processes):
    monkeypatch.setattr(threads, "cores", lambda: 8)
    monkeypatch.setenv(variable, str(processes))
    assert threads.local_processes() == processes
    assert threads.share() == max(1, 8 // processes)


def test_without_mpi_a_process_has_every_core(monkeypatch):
    for variable in threads._LOCAL_SIZE:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(threads, "cores", lambda: 8)
    assert threads.share() == 8


def test_small_models_get_one_thread_larger_ones_the_share(monkeypatch):
    monkeypatch.setattr(threads, "share", lambda: 4)
    monkeypatch.setattr(threads, "get_num_threads", lambda: 8)
    small = ds.nn.Linear(40, 100)  # 4,000 weights: far below SMALL_WEIGHTS
    large = ds.nn.Linear(1024, 1024)
    assert threads.for_model(small, 100) == 1
    assert threads.for_model(large, 128) == 4
    assert threads.for_model(large, 128, threads=3) == 3  # Trainer(threads=...), --threads
    assert threads.for_model(large, 1) == 1  # a step of one row: a product too small to share
    mnist_mlp = ds.models.MLP([784, 256, 128, 10])  # 200,704 weights in its first layer
    assert threads.for_model(mnist_mlp, 32) == 4
    ds.set_num_threads(2)
    assert threads.for_model(small, 100) == 2 and threads.for_model(large, 128) == 2


def test_a_model_with_convolutions_is_never_small(monkeypatch):
    # LeNet-5's largest tensor (400 x 120) is small, but its kernels run at every pixel.
    monkeypatch.setattr(threads, "share", lambda: 4)
    monkeypatch.setattr(threads, "get_num_threads", lambda: 8)
    assert threads.for_model(ds.models.LeNet5(), 128) == 4
    assert threads.for_model(ds.models.MLP([400, 120, 10]), 128) == 1


def test_a_fit_takes_no_more_threads_than_it_had(monkeypatch):
    large = ds.nn.Linear(1024, 1024)
    monkeypatch.setattr(threads, "share", lambda: 4)
    monkeypatch.setattr(threads, "get_num_threads", lambda: 2)  # OPENBLAS_NUM_THREADS=2
    assert threads.for_model(large, 128) == 2


class Seen(ds.train.Callback):
    def on_batch_end(self, step, logs):
        self.threads = ds.get_num_threads()


class Counting(ds.nn.Module):
    """A model that records the threads its forward pass ran with."""

    def __init__(self):
        super().__init__()
        self.linear = ds.nn.Linear(4, 3)

    def forward(self, x):
        self.threads = ds.get_num_threads()
        return self.linear(x)


@pytest.mark.parametrize("asked", [None, 1, 2])
def test_a_fit_uses_its_threads_and_gives_them_back(asked):
    threads._blas().limit(limits=2)
    model = ds.models.SoftmaxRegression(4, 3)
    seen = Seen()
    trainer = ds.Trainer(
        model, ds.nn.CrossEntropyLoss(), ds.optim.SGD(model.parameters(), lr=0.1),
        callbacks=[seen], verbose=0, threads=asked,
    )  # fmt: skip
    X, y = ds.data.load_iris()
    trainer.fit(X, y, epochs=1)
    assert seen.threads == (1 if asked is None else asked)  # None: a small model, one thread
    assert ds.get_num_threads() == 2


def test_predicting_and_evaluating_use_the_fits_threads_too():
    threads._blas().limit(limits=2)
    model = Counting()
    trainer = ds.Trainer(model, ds.nn.CrossEntropyLoss(), ds.optim.SGD(model.parameters()))
    X, y = ds.data.load_iris()
    trainer.predict(X)
    assert model.threads == 1
    trainer.evaluate((X, y))
    assert model.threads == 1 and ds.get_num_threads() == 2


def test_trainer_rejects_a_bad_thread_count():
    model = ds.models.SoftmaxRegression(4, 3)
    with pytest.raises(ValueError, match="threads must be a positive integer, got 0"):
        ds.Trainer(model, ds.nn.CrossEntropyLoss(), ds.optim.SGD(model.parameters()), threads=0)


def test_the_train_command_says_its_threads_and_takes_threads(tmp_path):
    from tests.cli.conftest import descend

    result = descend("train", "--data", "iris", "--epochs", "1", cwd=tmp_path, check=True)
    assert "updates; 1 thread\n" in result.stderr  # a small model
    result = descend(
        "train", "--data", "iris", "--epochs", "1", "--threads", "2", "--force", cwd=tmp_path
    )
    assert "updates; 2 threads\n" in result.stderr
    result = descend("train", "--threads", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert "--threads must be a positive integer, got 0" in result.stderr


def test_a_resumed_run_may_take_other_threads(tmp_path):
    from tests.cli.conftest import descend

    descend("train", "--data", "iris", "--epochs", "1", "--out", "run", cwd=tmp_path, check=True)
    result = descend(
        "train", "--resume", tmp_path / "run", "--epochs", "2", "--threads", "2", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "epoch 2: 3 updates; 2 threads\n" in result.stderr
