"""``descend train --live``, ``descend view`` and ``descend playground`` from the command line."""

import sys

import pytest

from descend.cli import main
from descend.extras import install_command


@pytest.mark.parametrize(
    "argv", [["playground"], ["view", "runs/x"], ["train", "--live", "--epochs", "1"]]
)
def test_without_the_extra_one_line_names_it(argv, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "bokeh", None)  # as if Bokeh were not installed
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == (
        f"descend {argv[0]}: error: the live view needs Bokeh: {install_command('live')}\n"
    )
    assert not (tmp_path / "runs").exists()


def test_view_refuses_a_folder_without_a_run(tmp_path, capsys):
    assert main(["view", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"descend view: error: {tmp_path}: not a run folder (no config.toml)\n"
    )


@pytest.mark.parametrize("port", ["-1", "70000"])
def test_a_port_out_of_range_is_refused(port, capsys):
    assert main(["playground", "--port", port]) == 2
    assert "--port must be from 0 to 65535" in capsys.readouterr().err


def test_train_live_gives_the_pages_address_in_its_plan_line(tmp_path, capsys):
    argv = ["train", "--data", "iris", "--model", "softmax", "--epochs", "2"]
    assert main([*argv, "--out", str(tmp_path / "run"), "--live"]) == 0
    plan = capsys.readouterr().out.splitlines()[0]
    assert plan.startswith("softmax on iris")
    assert "; live view http://127.0.0.1:" in plan and "/run?token=" in plan


def test_another_host_is_opened_only_with_a_warning(capsys):
    from argparse import Namespace

    from descend.cli.view import check_server_options

    check_server_options(Namespace(host="127.0.0.1", port=0))
    assert capsys.readouterr().err == ""
    check_server_options(Namespace(host="0.0.0.0", port=0))
    assert capsys.readouterr().err == (
        "warning: --host 0.0.0.0 opens the page to other machines; anyone who has its "
        "address with the token can see it\n"
    )


def test_playground_serves_until_ctrl_c(tmp_path):
    import os
    import signal
    import subprocess
    import urllib.request

    src = os.path.dirname(os.path.dirname(__import__("descend").__file__))
    env = {**os.environ, "PYTHONPATH": src}
    command = [sys.executable, "-m", "descend", "playground"]
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        line = process.stdout.readline()
        assert line.startswith("playground: open http://127.0.0.1:")
        assert line.endswith("  (Ctrl-C to stop)\n")
        url = line.split()[2]
        with urllib.request.urlopen(url, timeout=30) as page:
            assert page.status == 200 and b"descend: playground" in page.read()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
    assert process.stderr.read() == ""
