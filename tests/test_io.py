import json
import struct
import tracemalloc
import zipfile
from io import BytesIO

import numpy as np
import pytest

import descend as ds
from descend import io


@pytest.fixture(params=[".safetensors", ".npz"])
def suffix(request):
    return request.param


def _state():
    return {
        "0.weight": np.arange(6, dtype=np.float32).reshape(2, 3),
        "0.bias": np.zeros(2, dtype=np.float32),
        "bn.num_batches_tracked": np.array(3, dtype=np.int64),
    }


def test_round_trip_state_dict(tmp_path, suffix):
    path = io.save(_state(), tmp_path / f"model{suffix}", metadata={"layers": [784, 10]})
    loaded = io.load(path)
    assert list(loaded) == list(_state())
    for key, value in _state().items():
        np.testing.assert_array_equal(loaded[key], value)
        assert loaded[key].dtype == value.dtype and loaded[key].shape == value.shape
    assert io.load_metadata(path) == {"layers": [784, 10]}


def test_round_trip_nested_checkpoint(tmp_path, suffix):
    rng_state = np.random.default_rng(5).bit_generator.state
    checkpoint = {
        "model": _state(),
        "optimizer": {
            "state": {0: {"step": 3, "exp_avg": np.ones(3)}, 1: {}},
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1], "name": None}],
        },
        "rng": rng_state,
        "epoch": 7,
        "losses": [1.0, float("nan"), 0.5],
        "flag": True,
    }
    loaded = io.load(io.save(checkpoint, tmp_path / f"ckpt{suffix}"))
    assert loaded["epoch"] == 7 and loaded["flag"] is True
    assert list(loaded["optimizer"]["state"]) == [0, 1]
    np.testing.assert_array_equal(loaded["optimizer"]["state"][0]["exp_avg"], np.ones(3))
    assert loaded["optimizer"]["param_groups"][0]["betas"] == [0.9, 0.999]
    assert loaded["rng"] == rng_state
    assert np.isnan(loaded["losses"][1])


def test_save_is_atomic_and_keeps_the_old_file_on_failure(tmp_path, suffix):
    path = tmp_path / f"model{suffix}"
    io.save(_state(), path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match="cannot store object"):
        io.save({"a": np.zeros(2), "b": object()}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind


def test_truncated_corrupted_and_foreign_files_give_clear_errors(tmp_path, suffix):
    path = io.save(_state(), tmp_path / f"model{suffix}")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(io.ModelFileError, match=f"model{suffix}.*(truncated|corrupted)"):
        io.load(path)
    path.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(io.ModelFileError, match=f"model{suffix}"):
        io.load(path)
    with pytest.raises(io.ModelFileError, match="no such file"):
        io.load(tmp_path / f"missing{suffix}")


def test_foreign_but_valid_files_are_refused(tmp_path):
    from safetensors.numpy import save_file

    save_file({"w": np.zeros(2)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(io.ModelFileError, match="not one written by descend"):
        io.load(tmp_path / "other.safetensors")
    np.savez(tmp_path / "other.npz", w=np.zeros(2))
    with pytest.raises(io.ModelFileError, match="not one written by descend"):
        io.load(tmp_path / "other.npz")


def test_npz_with_pickled_objects_is_never_unpickled(tmp_path):
    np.savez(tmp_path / "evil.npz", w=np.array([{"x": 1}], dtype=object))
    with pytest.raises(io.ModelFileError):
        io.load(tmp_path / "evil.npz")


def test_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"\.safetensors or \.npz"):
        io.save(_state(), tmp_path / "model.pt")


def test_tensors_are_saved_by_their_data(tmp_path):
    path = io.save({"w": ds.tensor([1.0, 2.0])}, tmp_path / "t.safetensors")
    np.testing.assert_array_equal(io.load(path)["w"], [1.0, 2.0])


# -- crafted files: one ModelFileError naming the file, memory bounded -----------------
def _npz_with_member(path, header: bytes, body: bytes = b"", compress=zipfile.ZIP_STORED):
    skeleton = b'{"version": 1, "state": {"__dict__": [["w", {"__array__": "w"}]]}}'
    with zipfile.ZipFile(path, "w", compress) as archive:
        with archive.open("w.npy", "w", force_zip64=True) as member:
            member.write(header)
            for start in range(0, len(body) or 0, 1 << 20):
                member.write(body[start : start + (1 << 20)])
        buffer = BytesIO()
        np.save(buffer, np.frombuffer(skeleton, np.uint8))
        archive.writestr("__descend__.npy", buffer.getvalue())
    return path


def _npy_header(shape, dtype="<f8") -> bytes:
    buffer = BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": dtype, "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue()


def _refusal(path) -> tuple[str, int]:
    """The ModelFileError's message for loading ``path``, and the peak of memory traced."""
    tracemalloc.start()
    try:
        io.load(path)
    except io.ModelFileError as error:
        return str(error), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    raise AssertionError(f"{path} loaded")


def test_an_npz_member_claiming_a_trillion_elements_is_refused_unallocated(tmp_path):
    path = _npz_with_member(tmp_path / "huge.npz", _npy_header((10**12,)), b"\0" * 64)
    message, peak = _refusal(path)
    assert message.startswith(f"{path} member w.npy: its header promises (1000000000000,)")
    assert peak < 1 << 20


def test_an_npz_zip_bomb_is_refused_before_it_inflates(tmp_path):
    n = 100 << 20  # 100 MB of zeros deflate to about 100 KB
    path = _npz_with_member(
        tmp_path / "bomb.npz", _npy_header((n // 8,)), bytes(n), zipfile.ZIP_DEFLATED
    )
    assert path.stat().st_size < 1 << 20
    message, peak = _refusal(path)
    assert message.startswith(f"{path}: its members would inflate to ")
    assert "zip bomb" in message and peak < 1 << 20


def _safetensors(path, header: dict, body: bytes = b""):
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + body)
    return path


def test_a_safetensors_dtype_numpy_lacks_is_named(tmp_path):
    header = {"w": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}}
    path = _safetensors(tmp_path / "f8.safetensors", header, b"\0\0")
    with pytest.raises(io.ModelFileError, match=r"f8.safetensors: .*tensor 'w' has dtype F8_E4M3"):
        io.load(path)


@pytest.mark.parametrize("where", ["safetensors header", "descend skeleton"])
def test_json_nested_a_hundred_thousand_deep_is_one_line(tmp_path, where):
    deep = "[" * 100_000 + "]" * 100_000
    if where == "descend skeleton":
        skeleton = '{"version": 1, "state": ' + deep + "}"
        header = {"__metadata__": {"descend": skeleton}}
        path = _safetensors(tmp_path / "deep.safetensors", header)
    else:
        path = tmp_path / "deep.safetensors"
        text = ('{"a": ' + deep + "}").encode()
        path.write_bytes(struct.pack("<Q", len(text)) + text)
    with pytest.raises(io.ModelFileError, match=r"deep.safetensors: .*nested too deeply"):
        io.load(path)


def test_a_garbled_npy_header_in_an_npz_names_the_member(tmp_path):
    header = b"\x93NUMPY\x01\x00" + struct.pack("<H", 22) + b"{'descr': '<f8', 'sh\n"
    path = _npz_with_member(tmp_path / "garbled.npz", header)
    with pytest.raises(io.ModelFileError, match=r"garbled.npz member w.npy: unreadable .npy"):
        io.load(path)
