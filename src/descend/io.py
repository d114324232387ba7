"""Keeping models: weights and checkpoints in files that cannot execute code on load.

Two formats, chosen by the file's suffix:

- ``.safetensors`` (default): a JSON header and raw little-endian arrays;
- ``.npz``: NumPy's zip of ``.npy`` arrays, always read with ``allow_pickle=False``.

Nested state (an optimizer's ``state_dict``, a scheduler's, RNG states, a history)
is split into its arrays, stored as named tensors, and a JSON skeleton that says
where they go. Every file is written atomically: a temporary file, then a rename.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load as load_safetensors_bytes
from safetensors.numpy import save as save_safetensors_bytes

from descend.files import atomic_write

_SKELETON_KEY = "descend"
_FORMAT_VERSION = 1
_NPZ_SLACK = 16 << 20  # bytes an .npz file may inflate by beyond 4 times its size


class ModelFileError(ValueError):
    """A file that is missing, truncated, corrupted or not a descend file."""


def save(obj, path: str | os.PathLike, metadata: dict | None = None) -> Path:
    """Save a Module's weights, a state dict, or any nested state with arrays, atomically.

    Parameters
    ----------
    obj : Module, dict
        A Module (its ``state_dict()`` is saved) or a dict whose leaves are arrays,
        numbers, strings, booleans or None (lists and nested dicts allowed).
    path : path
        Ends in ``.safetensors`` or ``.npz``.
    metadata : dict, optional
        JSON-serialisable information kept beside the arrays (``load_metadata`` reads it).

    Examples
    --------
    >>> model = nn.Linear(2, 1)
    >>> ds.io.save(model, "runs/mlp/model.safetensors").name
    'model.safetensors'
    >>> model.load_state_dict(ds.io.load("runs/mlp/model.safetensors"))
    IncompatibleKeys(missing_keys=[], unexpected_keys=[])
    """
    path = Path(path)
    state = obj.state_dict() if hasattr(obj, "state_dict") else obj
    if not isinstance(state, dict):
        raise TypeError(f"save: expected a Module or a dict, got {type(obj).__name__}")
    arrays: dict[str, np.ndarray] = {}
    skeleton = _split(state, "", arrays)
    header = json.dumps({"version": _FORMAT_VERSION, "state": skeleton, "metadata": metadata or {}})
    suffix = path.suffix
    if suffix == ".safetensors":
        data = save_safetensors_bytes(arrays, metadata={_SKELETON_KEY: header})
        with atomic_write(path, "wb") as handle:
            handle.write(data)
    elif suffix == ".npz":
        arrays[f"__{_SKELETON_KEY}__"] = np.frombuffer(header.encode(), dtype=np.uint8)
        with atomic_write(path, "wb") as handle:
            np.savez(handle, **arrays)
    else:
        raise ValueError(f"save: {path} must end in .safetensors or .npz, not {suffix!r}")
    return path


def load(path: str | os.PathLike):
    """Read what ``save`` wrote: a state dict (name -> array) or the nested state.

    Raises ``ModelFileError`` naming the file for a missing, truncated, corrupted or
    foreign file. Never executes code from the file.
    """
    state, _ = _read(Path(path))
    return state


def load_metadata(path: str | os.PathLike) -> dict:
    """The ``metadata`` dict saved with the file."""
    _, metadata = _read(Path(path))
    return metadata


def check_weights(state: dict, names, path) -> None:
    """Raise ModelFileError naming ``path`` unless the arrays ``names`` of ``state`` (a
    model's parameters) hold finite floating-point numbers.

    Integer or boolean weights, or NaN and infinities, cannot be a trained model's: they
    would predict nonsense (NaN weights predict NaN) without an error.
    """
    if not isinstance(state, dict):
        raise ModelFileError(f"{path}: expected a model's weights, got a {type(state).__name__}")
    for name in names:
        weights = np.asarray(state.get(name, np.zeros(0)))
        if weights.dtype.kind != "f":
            raise ModelFileError(
                f"{path}: weight {name!r} holds {weights.dtype} values; expected floats"
            )
        bad = np.size(weights) - np.count_nonzero(np.isfinite(weights))
        if bad:
            raise ModelFileError(
                f"{path}: weight {name!r} holds {bad} NaN or infinite values; a model "
                f"file must hold finite weights"
            )


def _read(path: Path) -> tuple[dict, dict]:
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file")
    if path.suffix == ".safetensors":
        arrays, header = _read_safetensors(path, path.read_bytes())
    elif path.suffix == ".npz":
        arrays, header = _read_npz(path)
    else:
        raise ModelFileError(f"{path}: expected a .safetensors or .npz file")
    try:
        parsed = json.loads(header)
        state = _join(parsed["state"], arrays)
        return state, parsed.get("metadata", {})
    except RecursionError:
        raise ModelFileError(f"{path}: corrupted descend header (nested too deeply)") from None
    except (ValueError, KeyError, TypeError) as error:
        raise ModelFileError(f"{path}: corrupted descend header ({_line(error)})") from None


# The dtypes safetensors' NumPy side reads (no float8, no bfloat16).
_SAFETENSORS_DTYPES = ("BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64", "F16",
                       "F32", "F64")  # fmt: skip


def _read_safetensors(path: Path, raw: bytes) -> tuple[dict, str]:
    # The header is JSON after an 8-byte little-endian length; its __metadata__ holds ours.
    length = int.from_bytes(raw[:8], "little")
    try:
        if len(raw) < 8 or 8 + length > len(raw):
            raise ValueError(f"its header claims {length} bytes, the file holds {len(raw)}")
        header = json.loads(raw[8 : 8 + length])
        if not isinstance(header, dict):
            raise ValueError("its header is not a JSON object")
        for name, entry in header.items():
            dtype = entry.get("dtype") if isinstance(entry, dict) else None
            if name != "__metadata__" and dtype not in _SAFETENSORS_DTYPES:
                raise ValueError(f"tensor {name!r} has dtype {dtype}, which descend does not read")
        arrays = load_safetensors_bytes(raw)
    except (SafetensorError, ValueError, OverflowError, RecursionError, AttributeError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else _line(error)
        raise ModelFileError(
            f"{path}: not a readable safetensors file, truncated or corrupted ({reason})"
        ) from None
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict) or _SKELETON_KEY not in metadata:
        raise ModelFileError(f"{path}: a safetensors file, but not one written by descend")
    return arrays, metadata[_SKELETON_KEY]


def _read_npz(path: Path) -> tuple[dict, str]:
    """The arrays of an ``.npz`` file, each checked before it is allocated: what its header
    claims must be what the archive says it holds, and the archive may not inflate to
    more than a few times its size (descend writes ``.npz`` files uncompressed)."""
    from descend.data.npy import read_header  # the .npy reader loads only when used

    key = f"__{_SKELETON_KEY}__"
    size = path.stat().st_size
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            inflated = sum(member.file_size for member in members)
            if inflated > 4 * size + _NPZ_SLACK:
                raise ModelFileError(
                    f"{path}: its members would inflate to {inflated} bytes from a file of "
                    f"{size} (a zip bomb?); descend reads .npz files of uncompressed arrays"
                )
            for member in members:
                with archive.open(member) as handle:
                    name = f"{path} member {member.filename}"
                    shape, dtype, fortran_order = read_header(handle, name)
                    nbytes = math.prod(shape) * dtype.itemsize
                    if nbytes != member.file_size - handle.tell():
                        raise ModelFileError(
                            f"{name}: its header promises {shape} {dtype} ({nbytes} bytes), "
                            f"the archive holds {member.file_size - handle.tell()}"
                        )
                    buffer = bytearray(nbytes)
                    if handle.readinto(buffer) != nbytes:
                        raise ModelFileError(f"{name} is truncated")
                array = np.frombuffer(buffer, dtype)
                array = array.reshape(shape[::-1]).T if fortran_order else array.reshape(shape)
                arrays[member.filename.removesuffix(".npy")] = array
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as error:
        raise ModelFileError(
            f"{path}: not a readable .npz file, truncated or corrupted ({_line(error)})"
        ) from None
    if key not in arrays:
        raise ModelFileError(f"{path}: an .npz file, but not one written by descend")
    return arrays, arrays.pop(key).tobytes().decode()


def _line(error: Exception) -> str:
    """An error's text on one line (a crafted file's names may hold line breaks)."""
    return " ".join(str(error).split())


def _split(value, prefix: str, arrays: dict):
    """Replace every array in ``value`` by ``{"__array__": name}``, collecting the arrays."""
    if isinstance(value, np.ndarray):
        # (np.ascontiguousarray would turn a 0-d array into 1-d)
        arrays[prefix] = value if value.flags.c_contiguous else value.copy(order="C")
        return {"__array__": prefix}
    if hasattr(value, "data") and isinstance(value.data, np.ndarray):  # a Tensor
        return _split(value.data, prefix, arrays)
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str | int):
                raise TypeError(f"save: dict keys must be str or int, got {key!r} at {prefix!r}")
        return {
            "__dict__": [
                [key, _split(item, f"{prefix}/{key}" if prefix else str(key), arrays)]
                for key, item in value.items()
            ]
        }
    if isinstance(value, list | tuple):
        return [_split(item, f"{prefix}/{i}", arrays) for i, item in enumerate(value)]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"save: cannot store {type(value).__name__} at {prefix!r}")


def _join(skeleton, arrays: dict):
    if isinstance(skeleton, dict):
        if "__array__" in skeleton:
            return arrays[skeleton["__array__"]]
        return {key: _join(item, arrays) for key, item in skeleton["__dict__"]}
    if isinstance(skeleton, list):
        return [_join(item, arrays) for item in skeleton]
    return skeleton
