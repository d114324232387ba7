"""The Trainer on every device: the CPU's losses, metrics and predictions, host files.

On the strict device (tests/strict.py) every step must also stay free of NumPy calls on
device data and wait for the device only to read the step's loss.
"""

import numpy as np
import pytest
from tests import strict

import descend as ds
from descend import nn, optim
from descend.data import DataLoader, TensorDataset
from descend.train import GradientMonitor, Trainer


def _data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centres = np.array([[2.0, 0.0], [-2.0, 1.0], [0.0, -2.5]])
    return (centres[y] + rng.normal(0, 0.6, (n, 2))).astype(np.float32), y


def _fit(device, loss=None, epochs=3, make_optimizer=None, callbacks=(), targets=None):
    ds.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.0), nn.Linear(16, 3))
    model.to(device)
    opt = (make_optimizer or (lambda p: optim.Adam(p, lr=0.05)))(model.parameters())
    trainer = Trainer(
        model,
        loss or nn.CrossEntropyLoss(),
        opt,
        scheduler=optim.lr_scheduler.StepLR(opt, 2, 0.5),
        metrics=["accuracy", "f1"] if loss is None else [],
        callbacks=list(callbacks),
        verbose=0,
    )
    X, y = _data()
    history = trainer.fit(
        X,
        y if targets is None else targets,
        epochs=epochs,
        batch_size=32,
        seed=1,
        val=(X, y if targets is None else targets),
    )
    return trainer, history


def test_training_on_a_device_matches_the_cpu(device):
    reference, expected = _fit("cpu")
    trainer, history = _fit(device)
    assert trainer.model.device == device
    for key in ("loss", "accuracy", "f1", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(history[key], expected[key], rtol=1e-5, err_msg=key)
    X, _ = _data(seed=1)
    np.testing.assert_array_equal(trainer.predict(X), reference.predict(X))
    np.testing.assert_allclose(trainer.predict_proba(X), reference.predict_proba(X), rtol=1e-5)
    assert isinstance(trainer.predict(X), np.ndarray)
    assert (
        trainer.evaluate(_data(seed=2))["accuracy"] == reference.evaluate(_data(seed=2))["accuracy"]
    )
    state = trainer.state_dict()  # what a checkpoint saves: host arrays
    arrays = [v for s in state["optimizer"]["state"].values() for v in s.values()]
    assert all(type(a) is np.ndarray for a in arrays if hasattr(a, "shape"))


def test_a_step_on_the_strict_device_waits_only_to_read_its_loss():
    trainer, _ = _fit("strict", epochs=1)
    X, y = _data()
    before = strict.SYNCS["count"]
    loader = DataLoader(TensorDataset(X, y), batch_size=32)
    for Xb, yb in loader:
        trainer.train_step(Xb, yb)
    assert strict.SYNCS["count"] - before == len(loader)  # loss.item(), once a step


def test_regression_and_binary_losses_train_on_the_device(accelerator):
    X, y = _data()
    for loss, targets in (
        (nn.MSELoss(), np.eye(3, dtype=np.float32)[y]),
        (nn.BCEWithLogitsLoss(), np.eye(3, dtype=np.float32)[y]),
    ):
        _, expected = _fit("cpu", loss=loss, targets=targets)
        _, history = _fit(accelerator, loss=loss, targets=targets)
        np.testing.assert_allclose(history["loss"], expected["loss"], rtol=1e-5)


def test_gradient_monitor_and_momentum_on_the_device(accelerator):
    sgd = lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)  # noqa: E731
    expected, _ = _fit("cpu", make_optimizer=sgd, callbacks=[GradientMonitor(every=2)])
    got, _ = _fit(accelerator, make_optimizer=sgd, callbacks=[GradientMonitor(every=2)])
    records, reference = got.history.gradients, expected.history.gradients
    assert records.steps == reference.steps and len(records.steps) > 3
    for quantity in ("grad_norm", "weight_norm", "update_ratio"):
        for name, values in reference.values(quantity).items():
            np.testing.assert_allclose(records.values(quantity)[name], values, rtol=1e-5)


@pytest.mark.parametrize("shuffle", [False, True])
def test_batches_from_memory_mapped_files_go_to_the_device(tmp_path, accelerator, shuffle):
    X, y = _data()
    np.save(tmp_path / "X.npy", X)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    ds.manual_seed(0)
    model = nn.Linear(2, 3).to(accelerator)
    trainer = Trainer(
        model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), verbose=0
    )
    history = trainer.fit(
        DataLoader(TensorDataset(mapped, y), batch_size=40, shuffle=shuffle, seed=0), epochs=2
    )
    assert np.isfinite(history["loss"]).all() and model.weight.device == accelerator


def test_a_loader_with_a_device_draws_the_cpus_batches_there(accelerator):
    X, y = _data()
    batches = []
    for device in (None, accelerator):
        loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, seed=3, device=device)
        batches.append(list(loader))
    for (Xc, yc), (Xd, yd) in zip(*batches):
        assert Xd.device == accelerator and yd.device == accelerator
        np.testing.assert_array_equal(Xd.cpu().numpy(), Xc.numpy())
        np.testing.assert_array_equal(yd.cpu().numpy(), yc.numpy())
