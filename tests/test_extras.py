"""Every hint names a command that works for how descend was installed."""

import json
import shlex
import subprocess
import sys
from importlib import metadata

import pytest

from descend import extras
from descend.extras import install_command


def test_from_a_clone_the_hint_installs_the_clone_with_the_extra(tmp_path, monkeypatch):
    # descend imported from the src folder of a clone (CI imports an installed copy instead)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "descend"\n')
    monkeypatch.setattr(extras, "__file__", str(tmp_path / "src" / "descend" / "extras.py"))
    assert install_command("onnx") == f"pip install -e '{tmp_path}[onnx]'"
    assert install_command("mpi", "onnx") == f"pip install -e '{tmp_path}[mpi,onnx]'"


class _Installed:
    def __init__(self, record):
        self.record = record

    def read_text(self, name):
        assert name == "direct_url.json"
        return None if self.record is None else json.dumps(self.record)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (None, "pip install 'descend[onnx]'"),  # from a package index
        ({"url": "file:///gone/away", "dir_info": {}}, "pip install 'descend[onnx]'"),
        ({"url": "https://example.org/descend.tar.gz"}, "pip install 'descend[onnx]'"),
        ({"url": "file://HERE", "dir_info": {}}, "pip install 'HERE[onnx]'"),
        ({"url": "file://HERE", "dir_info": {"editable": True}}, "pip install -e 'HERE[onnx]'"),
    ],
    ids=["index", "folder-gone", "url", "folder", "editable"],
)
def test_an_installed_descend_gets_the_command_of_its_install(
    tmp_path, monkeypatch, record, expected
):
    if record is not None:
        record = {**record, "url": record["url"].replace("HERE", str(tmp_path))}
    monkeypatch.setattr(extras, "_source_tree", lambda: None)
    monkeypatch.setattr(metadata, "distribution", lambda name: _Installed(record))
    assert install_command("onnx") == expected.replace("HERE", str(tmp_path))


def test_the_clones_hint_works(tmp_path):
    # pip resolves the command (without installing anything) from any folder.
    command = shlex.split(install_command("onnx"))
    done = subprocess.run(
        [sys.executable, "-m", *command, "--dry-run", "--no-deps", "--no-build-isolation"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Would install descend" in done.stdout
