"""The optional extras (``onnx``, ``mpi``, ``tensorboard``, ``live``, ``cuda12``...): the
command that installs one, for how descend itself was installed.

descend is installed from a clone (``pip install -e .``) more often than from a package
index, where ``pip install 'descend[onnx]'`` cannot find it; each hint says what works.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path


def install_command(*extras: str) -> str:
    """The pip command that adds ``extras`` to this installation of descend.

    - descend imported from a source tree (a clone, installed editable or not at all):
      ``pip install -e '/path/to/clone[onnx]'``;
    - installed from a local folder that still exists: ``pip install '/that/folder[onnx]'``;
    - otherwise (a package index): ``pip install 'descend[onnx]'``.

    Examples
    --------
    >>> install_command("onnx").startswith("pip install ")
    True
    """
    wanted = f"[{','.join(extras)}]"
    tree = _source_tree()
    if tree is not None:
        return f"pip install -e {shlex.quote(f'{tree}{wanted}')}"
    folder, editable = _installed_from()
    if folder is not None:
        return f"pip install {'-e ' if editable else ''}{shlex.quote(f'{folder}{wanted}')}"
    return f"pip install {shlex.quote('descend' + wanted)}"


def _source_tree() -> Path | None:
    """The clone this descend is imported from (src layout), or None."""
    root = Path(__file__).resolve().parents[2]
    project = root / "pyproject.toml"
    if not project.is_file() or 'name = "descend"' not in project.read_text(encoding="utf-8"):
        return None
    return root


def _installed_from() -> tuple[Path | None, bool]:
    """The local folder the installed distribution came from (PEP 610's direct_url.json),
    and whether the install is editable; (None, False) for an index or a folder now gone."""
    from importlib import metadata
    from urllib.parse import unquote, urlparse

    try:
        record = metadata.distribution("descend").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None, False
    url = json.loads(record) if record else {}
    parsed = urlparse(url.get("url", ""))
    if parsed.scheme != "file" or not Path(unquote(parsed.path)).is_dir():
        return None, False
    return Path(unquote(parsed.path)), bool(url.get("dir_info", {}).get("editable"))
