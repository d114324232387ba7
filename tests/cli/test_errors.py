"""Bad input: exit status 2, one line on stderr saying what was expected and what came."""

import pytest
from tests.cli.conftest import descend, descend_process, write_csv


def _fails(result, *fragments):
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--data", "digts", "unknown data set 'digts'; did you mean 'digits'?"),
        ("--model", "mpl", "unknown model 'mpl'; did you mean 'mlp'?"),
        ("--optimizer", "adma", "unknown optimizer 'adma'; did you mean 'adam'?"),
        ("--lr", "-1", "--lr must be a positive, finite number, got -1.0"),
        ("--lr", "0", "--lr must be a positive, finite number, got 0.0"),
        ("--lr", "inf", "--lr must be a positive, finite number, got inf"),
        ("--lr", "nan", "--lr must be a positive, finite number, got nan"),
        ("--seed", "-1", "--seed must be a whole number >= 0, got -1"),
        (
            "--hidden",
            "64,,32",
            "argument --hidden: expected comma-separated integers like 128,64, got '64,,32'",
        ),
        (
            "--scheduler",
            "step:0",
            "--scheduler step:N: lr x0.1 every N epochs (default: a third "
            "of the run); expected a whole number >= 1 for N, got '0'",
        ),
        ("--scheduler", "cosin", "unknown scheduler 'cosin'; did you mean 'cosine'?"),
        ("--batch-size", "0", "--batch-size must be a positive integer or 'full', got 0"),
        ("--batch-size", "-5", "got -5"),
        ("--epochs", "0", "--epochs must be a positive integer, got 0"),
        ("--epochs", "-2", "got -2"),
        ("--data", "missing.csv", "missing.csv: no such file"),
        ("--data", "no/such/folder", "no/such/folder: no such file or folder"),
    ],
)
def test_bad_options(tmp_path, option, value, expected):
    _fails(descend("train", option, value, "--out", "r", cwd=tmp_path), expected)
    assert not (tmp_path / "r").exists()


def test_non_numeric_cell_names_line_and_column(tmp_path):
    write_csv(tmp_path / "d.csv", "age,height,y\n1,2,0\n3,abc,1\n5,6,0\n")
    _fails(
        descend("train", "--data", "d.csv", cwd=tmp_path),
        "d.csv line 3, column 'height': expected a number, got 'abc'",
    )


def test_missing_target_column_lists_the_columns(tmp_path):
    write_csv(tmp_path / "d.csv", "age,height,y\n1,2,0\n3,4,1\n")
    _fails(
        descend("train", "--data", "d.csv", "--target", "label", cwd=tmp_path),
        "no column 'label'",
        "'age', 'height', 'y'",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a,b,y\n1,,0\n3,4,1\n", "line 2, column 'b': empty cell"),
        ("a,b,y\n1,nan,0\n3,4,1\n", "line 2, column 'b': expected a finite number, got 'nan'"),
        ("", "is empty"),
        ("a,b,y\n", "has a header but no data rows"),
    ],
)
def test_nan_empty_cells_and_empty_files(tmp_path, text, expected):
    write_csv(tmp_path / "d.csv", text)
    _fails(descend("train", "--data", "d.csv", cwd=tmp_path), expected)


def test_existing_run_is_refused_without_force_and_left_untouched(tmp_path, digits_run):
    before = {p.name: p.read_bytes() for p in digits_run.iterdir()}
    _fails(
        descend("train", "--epochs", "1", "--out", digits_run, cwd=tmp_path),
        "already holds a run",
        "--force",
    )
    assert {p.name: p.read_bytes() for p in digits_run.iterdir()} == before


def test_predict_with_the_wrong_number_of_features(tmp_path, digits_run):
    write_csv(tmp_path / "new.csv", "a,b,c\n1,2,3\n")
    _fails(
        descend("predict", digits_run, "new.csv", cwd=tmp_path),
        "expected 64 features",
        "got 3 columns",
    )


def test_corrupted_model_file(tmp_path, digits_run):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(digits_run, copy)
    path = copy / "model.safetensors"
    path.write_bytes(path.read_bytes()[:100])
    for command in (["evaluate", copy], ["info", copy], ["predict", copy, "x.csv"]):
        _fails(descend(*command, cwd=tmp_path), "model.safetensors", "truncated or corrupted")


def test_evaluate_a_folder_that_is_not_a_run(tmp_path):
    (tmp_path / "empty").mkdir()
    _fails(descend("evaluate", "empty", cwd=tmp_path), "not a run folder")
    _fails(descend("info", "nowhere", cwd=tmp_path), "no such run folder")


def test_model_that_does_not_fit_the_data(tmp_path):
    _fails(descend("train", "--model", "lenet", cwd=tmp_path), "needs 28x28 images")
    _fails(descend("train", "--model", "linear", cwd=tmp_path), "is for regression")


def test_one_class_is_refused_also_when_the_task_is_given(tmp_path):
    write_csv(tmp_path / "one.csv", "a,b,label\n1,2,3\n4,5,3\n6,7,3\n8,9,3\n")
    for task in ([], ["--task", "classify"]):
        result = descend("train", "--data", "one.csv", *task, "--epochs", "1", cwd=tmp_path)
        _fails(result, "one.csv: only one class (3) in the target; a classifier needs at least two")
    assert not (tmp_path / "runs").exists()


def test_compare_refuses_an_empty_value_in_a_list(tmp_path):
    _fails(
        descend("compare", "--optimizer", "sgd,,adam", cwd=tmp_path),
        "argument --optimizer: expected comma-separated values like sgd,adam or 0.001,0.01, "
        "got 'sgd,,adam'",
    )


def test_typos_in_config_keys_and_target_columns_get_a_suggestion(tmp_path):
    (tmp_path / "run.toml").write_text('optimiser = "sgd"\n')
    _fails(
        descend("train", "--config", "run.toml", cwd=tmp_path),
        "run.toml: unknown setting 'optimiser'; did you mean 'optimizer'?",
    )
    write_csv(tmp_path / "h.csv", "rooms,area,price\n1,2,3\n4,5,6\n")
    _fails(
        descend("train", "--data", "h.csv", "--target", "pirce", cwd=tmp_path),
        "h.csv has no column 'pirce'; did you mean 'price'? (its columns: 'rooms', 'area', "
        "'price')",
    )
    assert not (tmp_path / "runs").exists()


def test_version(tmp_path):
    import descend

    result = descend_process("--version", cwd=tmp_path, check=True)
    assert result.stdout == f"descend {descend.__version__}\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("landscape", "--lr", "inf"), "--lr takes positive, finite learning rates, got inf"),
        (("landscape", "--compare", "lr", "--lrs", "0.1,0.2,-1"),
         "--lrs takes positive, finite learning rates, got -1.0"),
        (("lr-find", "--end-lr", "inf"), "need 0 < --start-lr < --end-lr, got 1e-07 and inf"),
        (("compare", "--tol", "nan", "--optimizer", "sgd,adam"), "--tol must be >= 0, got nan"),
        (("explain", "--lr", "nan"), "--lr must be a positive, finite number, got nan"),
        (("evaluate", "RUN", "--target", "y"), "--target names the target column of --data"),
        (("train", "--resume", "RUN", "--force"),
         "only --epochs, --device, --threads and --tensorboard can change, got --force"),
    ],
)  # fmt: skip
def test_values_that_would_be_ignored_or_break_later_are_refused(tmp_path, digits_run, args,
                                                                  expected):  # fmt: skip
    args = [digits_run if a == "RUN" else a for a in args]
    _fails(descend(*args, cwd=tmp_path), expected)
    assert list(tmp_path.iterdir()) == []


def test_a_warm_up_longer_than_half_the_run_is_refused(tmp_path):
    result = descend("train", "--data", "iris", "--epochs", "6", "--scheduler", "linear:100",
                     "--out", "r", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        "descend train: error: --scheduler linear:100: the warm-up must end before the last "
        "epoch (--epochs 6), so that the run trains at its lr; give linear:5 or less, or more "
        "--epochs\n"
    )
    assert not (tmp_path / "r").exists()
    descend("train", "--data", "iris", "--model", "softmax", "--epochs", "6", "--scheduler",
            "linear:5", "--out", "r", "--quiet", cwd=tmp_path, check=True)  # fmt: skip
