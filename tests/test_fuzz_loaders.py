"""Random bytes and random headers thrown at every loader of files: model files
(safetensors, .npz), checkpoints, ``.npy`` folders and CSV files.

Each example must load, or raise one ValueError (``ModelFileError`` is one) whose message
is one line naming the file, with at most a few megabytes allocated on the way: no
traceback of another kind, no file that makes the loader allocate what it claims.
"""

from __future__ import annotations

import json
import struct
import tracemalloc
import zipfile
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import descend as ds
from descend import io

MEMORY = 8 << 20  # bytes any example may allocate (the files themselves are < 64 KB)
FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,  # the same 100 examples per loader in every run: failures reproduce
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
sizes = st.one_of(st.integers(0, 4), st.integers(-3, 2**64), st.sampled_from([2**31, 2**63 - 1]))
shapes = st.lists(sizes, max_size=4).map(tuple)
dtypes = st.sampled_from(
    ["<f4", "<f8", "<i8", "|b1", "<c16", "<U3", "|O", "|V8", "<M8[s]", ">f4", "float", "", "<f99"]
)


def loads_or_refuses(kind: str, path: Path, load) -> None:
    """``load()`` returns, or raises a one-line ValueError naming ``path``; bounded memory."""
    tracemalloc.start()
    try:
        load()
    except ValueError as error:
        message = str(error)
        assert "\n" not in message.strip(), message
        assert path.name in message, message
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < MEMORY, f"{kind}: {peak} bytes allocated"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def model_files(folder):
    """A model's file in both formats, to mutate."""
    state = {"0.weight": np.ones((3, 2), np.float32), "0.bias": np.zeros(3, np.float32)}
    return {
        suffix: io.save(state, folder / f"valid{suffix}", metadata={"a": [1]}).read_bytes()
        for suffix in (".safetensors", ".npz")
    }


def _header(tensors: dict, metadata) -> bytes:
    text = json.dumps({**tensors, "__metadata__": metadata}).encode()
    return struct.pack("<Q", len(text)) + text


tensor_entries = st.dictionaries(
    st.text(max_size=4),
    st.fixed_dictionaries(
        {
            "dtype": st.sampled_from(["F32", "F64", "I64", "BOOL", "F8_E4M3", "BF16", "X"]),
            "shape": st.lists(sizes, max_size=3),
            "data_offsets": st.lists(st.integers(-1, 2**40), min_size=2, max_size=2),
        }
    )
    | json_values,
    max_size=3,
)
skeletons = st.one_of(
    json_values.map(lambda v: json.dumps({"version": 1, "state": v})),
    st.text(max_size=40),
    st.sampled_from([10, 990, 100_000]).map(lambda n: '{"state": ' + "[" * n + "]" * n + "}"),
)


@FUZZ
@given(data=st.binary(max_size=512), prefix=st.integers(0, 400), suffix=st.sampled_from(
    [".safetensors", ".npz"]))  # fmt: skip
def test_model_files_of_random_bytes(folder, model_files, data, prefix, suffix):
    path = folder / f"model{suffix}"
    path.write_bytes(model_files[suffix][:prefix] + data)  # a valid start, then noise
    loads_or_refuses("model file (bytes)", path, lambda: io.load(path))


@FUZZ
@given(tensors=tensor_entries, skeleton=skeletons, body=st.binary(max_size=64))
def test_safetensors_of_random_headers(folder, tensors, skeleton, body):
    path = folder / "model.safetensors"
    path.write_bytes(_header(tensors, {"descend": skeleton}) + body)
    loads_or_refuses("safetensors (headers)", path, lambda: io.load(path))


def _npy_bytes(descr, fortran, shape, body: bytes) -> bytes:
    text = repr({"descr": descr, "fortran_order": fortran, "shape": shape}).encode()
    text += b" " * (-(11 + len(text)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + body


numeric_npy = st.builds(
    _npy_bytes, st.sampled_from(["<f4", "<f8", "<i8", "|b1"]), st.booleans(), shapes,
    st.binary(max_size=128),
)  # fmt: skip
npy_files = st.one_of(
    numeric_npy,
    st.builds(_npy_bytes, dtypes, st.booleans(), shapes, st.binary(max_size=128)),
    st.binary(max_size=200).map(lambda b: b"\x93NUMPY\x01\x00" + b),
    st.binary(max_size=200),
)


@FUZZ
@given(members=st.lists(numeric_npy | npy_files, max_size=3), skeleton=skeletons,
       compress=st.booleans())  # fmt: skip
def test_npz_of_random_members(folder, members, skeleton, compress):
    path = folder / "model.npz"
    mode = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", mode) as archive:
        for i, data in enumerate(members):
            archive.writestr(f"w{i}.npy", data)
        buffer = BytesIO()
        np.save(buffer, np.frombuffer(skeleton.encode(), np.uint8))
        archive.writestr("__descend__.npy", buffer.getvalue())
    loads_or_refuses("npz (members)", path, lambda: io.load(path))


@FUZZ
@given(X=npy_files, y=npy_files)
def test_npy_folders_of_random_files(folder, X, y):
    data = folder / "npy"
    data.mkdir(exist_ok=True)
    (data / "X.npy").write_bytes(X)
    (data / "y.npy").write_bytes(y)

    def load():
        try:
            ds.data.load(str(data))
        except ValueError as error:  # which of the two files: the message says
            raise ValueError(str(error).replace("y.npy", "X.npy")) from None

    loads_or_refuses("npy folder", data / "X.npy", load)


cells = st.one_of(
    st.sampled_from(["1", "-2.5", "1e308", "nan", "inf", "", "a", "b", '"x,y"', "0x10", "1_0"]),
    st.text(max_size=5),
)
csv_texts = st.one_of(
    st.lists(st.lists(cells, min_size=1, max_size=4), max_size=6).map(
        lambda rows: "\n".join(",".join(row) for row in rows)
    ),
    st.text(max_size=200),
)


@FUZZ
@given(text=csv_texts, raw=st.binary(max_size=64), use_raw=st.booleans())
def test_csv_files_of_random_text(folder, text, raw, use_raw):
    path = folder / "data.csv"
    if use_raw:
        path.write_bytes(raw)
    else:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    loads_or_refuses("csv", path, lambda: ds.data.load(str(path)))


@pytest.fixture(scope="module")
def run_folder(folder):
    config = ds.RunConfig(data="iris", model="softmax", epochs=1, seed=0)
    run = ds.prepare_run(config)
    trainer = run.fit(run.trainer(verbose=0))
    run.save_checkpoint(trainer, folder / "run")
    return run, folder / "run"


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _leaves(item, (*path, i))
    else:
        yield path


replacements = st.one_of(
    json_values,
    st.sampled_from(
        [np.zeros(0), np.ones((2, 2), np.int64), np.full(3, np.nan), np.array(True), np.ones(7)]
    ),
)


@FUZZ
@given(choice=st.integers(0, 10**6), value=replacements, drop=st.booleans())
def test_checkpoints_with_a_random_part_replaced(run_folder, choice, value, drop):
    run, folder = run_folder
    path = folder / "checkpoint.safetensors"
    original = path.read_bytes()
    state = io.load(path)
    leaves = list(_leaves(state))
    where = leaves[choice % len(leaves)]
    parent = state
    for key in where[:-1]:
        parent = parent[key]
    if drop and isinstance(parent, dict):
        del parent[where[-1]]
    elif isinstance(parent, tuple):
        pass
    else:
        parent[where[-1]] = value
    try:
        io.save(state, path)
        trainer = run.trainer(verbose=0)
        loads_or_refuses("checkpoint", path, lambda: run.restore(trainer, folder))
    finally:
        path.write_bytes(original)
