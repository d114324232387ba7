"""``--device`` on train, evaluate and predict; the strict device stands in for a GPU in CI.

Run folders hold host arrays: a run trained on one device loads and resumes on another.
"""

import numpy as np
import pytest
from tests.cli.conftest import descend

import descend as ds
from descend import io
from descend.extras import install_command

NO_GPU = pytest.mark.skipif(ds.cuda.is_available(), reason="this machine has a GPU and CuPy")
TRAIN = ("train", "--data", "iris", "--model", "softmax", "--epochs", "3", "--seed", "1")


@NO_GPU
def test_train_on_cuda_without_a_gpu_is_one_line_and_exit_2(tmp_path):
    result = descend(*TRAIN, "--device", "cuda", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("descend train: error: --device cuda: device 'cuda' needs")
    assert install_command("cuda12") in result.stderr and not (tmp_path / "runs").exists()


@NO_GPU
def test_auto_falls_back_to_the_cpu_and_says_so(tmp_path):
    result = descend(*TRAIN, "--device", "auto", cwd=tmp_path, check=True)
    assert "on cpu (auto: no GPU, so the CPU); run folder" in result.stdout.splitlines()[0]


def test_a_bad_device_name_is_refused(tmp_path):
    result = descend(*TRAIN, "--device", "gpu", cwd=tmp_path)
    assert result.returncode == 2
    assert "--device must be cpu, cuda, cuda:N or auto, got 'gpu'" in result.stderr


def test_a_run_on_a_device_writes_the_cpus_files_and_loads_anywhere(tmp_path, accelerator):
    descend(*TRAIN, "--out", "cpu", cwd=tmp_path, check=True)
    result = descend(*TRAIN, "--out", "dev", "--device", accelerator, cwd=tmp_path, check=True)
    assert f"on {accelerator}:0" in result.stdout.splitlines()[0]
    expected, got = (
        io.load(tmp_path / "cpu/model.safetensors"),
        io.load(tmp_path / "dev/model.safetensors"),
    )
    assert expected.keys() == got.keys()
    for key in expected:
        assert type(got[key]) is np.ndarray
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6)
    # evaluate and predict on either device, from either run
    on_cpu = descend("evaluate", tmp_path / "dev", cwd=tmp_path, check=True).stdout
    on_device = descend(
        "evaluate", tmp_path / "cpu", "--device", accelerator, cwd=tmp_path, check=True
    )
    assert on_device.stdout.splitlines()[1:4] == on_cpu.splitlines()[1:4]
    saved = ds.load_run(tmp_path / "cpu", device=accelerator)
    assert saved.model.device == accelerator
    X = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]])
    np.testing.assert_array_equal(saved.predict(X), ds.load_run(tmp_path / "dev").predict(X))
    # a run goes on on another device
    resumed = descend(
        "train",
        "--resume",
        tmp_path / "dev",
        "--epochs",
        "5",
        "--device",
        "cpu",
        cwd=tmp_path,
        check=True,
    )
    assert "on cpu" in resumed.stdout.splitlines()[0]
