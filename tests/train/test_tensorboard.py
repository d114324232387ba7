"""TensorBoard event files, read back record by record with the TFRecord framing and the
Event protocol buffer (tensorboardX ships the .proto classes; TensorBoard itself is not needed).
"""

import struct
import sys
from collections import defaultdict

import numpy as np
import pytest

import descend as ds
from descend import nn, optim
from descend.extras import install_command
from descend.models import MLP
from descend.train import GradientMonitor, Trainer

event_pb2 = pytest.importorskip("tensorboardX.proto.event_pb2")
crc32c = pytest.importorskip("tensorboardX.crc32c").crc32c


def masked_crc(data: bytes) -> int:
    """The TFRecord checksum: CRC-32C rotated right by 15 bits plus a constant."""
    crc = crc32c(data) & 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_events(folder):
    """Every Event in the event files of ``folder``, checksums verified."""
    events = []
    for path in sorted(folder.glob("events.out.tfevents.*")):
        data, pos = path.read_bytes(), 0
        while pos < len(data):
            header = data[pos : pos + 8]
            (length,) = struct.unpack("<Q", header)
            assert struct.unpack("<I", data[pos + 8 : pos + 12])[0] == masked_crc(header)
            body = data[pos + 12 : pos + 12 + length]
            end = pos + 12 + length
            assert struct.unpack("<I", data[end : end + 4])[0] == masked_crc(body)
            events.append(event_pb2.Event.FromString(body))
            pos = end + 4
    return events


def read_scalars(folder) -> dict:
    """tag -> [(step, value), ...] of the scalar summaries in ``folder``."""
    scalars = defaultdict(list)
    for event in read_events(folder):
        for value in event.summary.value:
            if value.HasField("simple_value"):
                scalars[value.tag].append((event.step, value.simple_value))
    return scalars


def read_texts(folder) -> dict:
    texts = {}
    for event in read_events(folder):
        for value in event.summary.value:
            if value.metadata.plugin_data.plugin_name == "text":
                texts[value.tag] = value.tensor.string_val[0].decode()
    return texts


def _data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    return X, (X[:, 0] * X[:, 1] > 0).astype(np.int64)


def _train(callbacks, epochs=3):
    ds.manual_seed(0)
    model = MLP([4, 16, 2])
    trainer = Trainer(
        model,
        nn.CrossEntropyLoss(),
        optim.Adam(model.parameters(), lr=0.01),
        metrics=["accuracy"],
        callbacks=callbacks,
        verbose=0,
    )
    X, y = _data()
    return trainer.fit(X[:64], y[:64], epochs=epochs, batch_size=16, val=(X[64:], y[64:]), seed=0)


def test_loss_metrics_lr_and_gradient_norms_read_back(tmp_path):
    history = _train([ds.callbacks.TensorBoard(tmp_path / "tb")])
    train, val = (
        read_scalars(tmp_path / "tb" / "train"),
        read_scalars(tmp_path / "tb" / "validation"),
    )
    epochs = [1, 2, 3]
    for name in ("loss", "accuracy", "lr"):
        assert [s for s, _ in train[f"epoch_{name}"]] == epochs
        np.testing.assert_allclose([v for _, v in train[f"epoch_{name}"]], history[name], rtol=1e-6)
    for name in ("loss", "accuracy"):
        np.testing.assert_allclose(
            [v for _, v in val[f"epoch_{name}"]], history[f"val_{name}"], rtol=1e-6
        )
    assert "epoch_lr" not in val and "batch_loss" not in train
    # No GradientMonitor was given: the Trainer added one, every epoch.
    records = history.gradients
    assert records.steps == [1, 5, 9]
    for quantity in ("grad_norm", "weight_norm", "update_ratio"):
        for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
            written = train[f"{quantity}/{name}"]
            assert [s for s, _ in written] == records.steps
            np.testing.assert_allclose(
                [v for _, v in written], records.values(quantity)[name], rtol=1e-6
            )
    texts = read_texts(tmp_path / "tb" / "train")
    assert texts["diagnosis/text_summary"] == history.events["diagnosis"]


def test_step_losses_and_an_existing_monitors_records(tmp_path):
    monitor = GradientMonitor(every=3)
    history = _train([monitor, ds.callbacks.TensorBoard(tmp_path, update_freq=2)], epochs=2)
    train = read_scalars(tmp_path / "train")
    assert [s for s, _ in train["batch_loss"]] == [2, 4, 6, 8]
    np.testing.assert_allclose([v for _, v in train["batch_loss"]], history.step_loss[1::2])
    assert history.gradients.steps == [1, 4, 7]  # the given monitor's, not a second one
    assert [s for s, _ in train["grad_norm/0.weight"]] == [1, 4, 7]


def test_two_runs_into_one_folder_in_the_same_second_keep_both_logs(tmp_path, monkeypatch):
    # Event files are named by the second: the second run must not replace the first's.
    monkeypatch.setattr("time.time", lambda: 1_800_000_000.0)
    _train([ds.callbacks.TensorBoard(tmp_path)], epochs=1)
    _train([ds.callbacks.TensorBoard(tmp_path)], epochs=2)
    assert [s for s, _ in read_scalars(tmp_path / "train")["epoch_loss"]] == [1, 1, 2]


def test_without_tensorboardx_one_line_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError) as error:
        ds.callbacks.TensorBoard("tb")
    assert str(error.value) == (
        f"TensorBoard logging needs tensorboardX: {install_command('tensorboard')}"
    )


def test_bad_update_freq_is_named(tmp_path):
    with pytest.raises(ValueError, match="update_freq must be 'epoch' or a positive number"):
        ds.callbacks.TensorBoard(tmp_path, update_freq=0)


def test_the_monitor_it_requires_is_one_of_the_trainers_callbacks_with_its_state(tmp_path):
    """Not a private monitor fed by hand: the Trainer adds it, so its state is saved."""
    board, model = ds.callbacks.TensorBoard(tmp_path), MLP([4, 2])
    opt = optim.SGD(model.parameters(), lr=0.1)
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, callbacks=[board])
    kinds = [type(c).__name__ for c in trainer.callbacks]
    assert kinds.index("GradientMonitor") == kinds.index("TensorBoard") - 1
    assert set(trainer.state_dict()["callbacks"]) >= {"GradientMonitor", "TensorBoard"}
    given = GradientMonitor(every=2)
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, callbacks=[board, given])
    assert [c for c in trainer.callbacks if isinstance(c, GradientMonitor)] == [given]


def test_no_nan_reaches_the_log_and_nothing_is_printed(tmp_path, capfd):
    """Zero initial weights have no update ratio at step 1: the point is left out."""
    X, y = _data()
    model = ds.models.LinearRegression(4)
    trainer = Trainer(
        model,
        nn.MSELoss(),
        optim.SGD(model.parameters(), lr=0.01),
        callbacks=[ds.callbacks.TensorBoard(tmp_path)],
        verbose=0,
    )
    history = trainer.fit(X, y.astype(np.float32), epochs=3, batch_size=32)
    assert np.isnan(history.gradients.update_ratio["linear.weight"][0])
    train = read_scalars(tmp_path / "train")
    assert [s for s, _ in train["update_ratio/linear.weight"]] == [4, 7]
    assert [s for s, _ in train["grad_norm/linear.weight"]] == [1, 4, 7]
    assert all(np.isfinite(v) for values in train.values() for _, v in values)
    printed = capfd.readouterr()
    assert printed.out == printed.err == ""


def test_a_file_in_place_of_the_folder_is_named(tmp_path):
    (tmp_path / "afile").write_text("")
    with pytest.raises(
        NotADirectoryError, match=r"TensorBoard logdir .*afile is a file, not a folder"
    ):
        ds.callbacks.TensorBoard(tmp_path / "afile")
