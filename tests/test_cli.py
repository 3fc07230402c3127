"""The command line end to end, through subprocess, on temporary CSV files."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "sksmooth", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
    )


@pytest.fixture
def iris_csv(tmp_path):
    data = load_iris(as_frame=True)
    frame = data.frame.rename(
        columns=lambda c: c.replace(" (cm)", "").replace(" ", "_")
    )
    frame["species"] = data.target_names[data.target]
    frame["colour"] = np.where(frame.index % 3 == 0, "pale", "dark")  # categorical
    frame.loc[::17, "sepal_width"] = np.nan  # missing values get imputed
    frame = frame.drop(columns="target")
    path = tmp_path / "iris.csv"
    frame.to_csv(path, index=False)
    return path


def test_demo_prints_table_and_saves_figure(tmp_path):
    result = run("--output", tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("| 0.")]
    assert [row.split("|")[1].strip() for row in rows] == [
        "0.00",
        "0.05",
        "0.10",
        "0.20",
    ]
    for row in rows:
        accuracy, log_loss, ece = (float(cell) for cell in row.split("|")[2:5])
        assert 0.6 < accuracy <= 1 and log_loss > 0 and 0 <= ece <= 1
    assert (tmp_path / "reliability.png").stat().st_size > 0
    assert "4/4" in result.stderr  # the progress bar


def test_fit_save_predict_round_trip(tmp_path, iris_csv):
    model_path = tmp_path / "model.skops"
    fit = run(
        "fit",
        iris_csv,
        "--target",
        "species",
        "--epsilons",
        "0,0.1",
        "--cv",
        "3",
        "--save",
        model_path,
    )
    assert fit.returncode == 0, fit.stderr
    assert "chosen epsilon" in fit.stdout
    table = [line for line in fit.stdout.splitlines() if line.startswith("| 0")]
    assert len(table) == 2
    assert model_path.stat().st_size > 0

    out = tmp_path / "predictions.csv"
    predict = run("predict", model_path, iris_csv, "--proba", "--output", out)
    assert predict.returncode == 0, predict.stderr
    predictions = pd.read_csv(out)
    truth = pd.read_csv(iris_csv)["species"]
    assert (predictions["prediction"] == truth).mean() > 0.9
    proba = predictions[
        [f"proba_{name}" for name in ["setosa", "versicolor", "virginica"]]
    ]
    np.testing.assert_allclose(proba.sum(axis=1), 1)


def test_fit_with_mlp_model(iris_csv):
    result = run(
        "fit",
        iris_csv,
        "--target",
        "species",
        "--model",
        "mlp",
        "--epsilons",
        "0.1",
        "--cv",
        "2",
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "args, code, fragment",
    [
        (("fit", "missing.csv", "--target", "y"), 1, "no such file"),
        (("fit", "{csv}", "--target", "nope"), 1, "no column 'nope'"),
        (("fit", "{one_class}", "--target", "species"), 1, "one class only"),
        (("fit", "{csv}"), 2, "--target"),
        (("fit", "{csv}", "--target", "species", "--epsilons", "0,abc"), 2, "epsilons"),
        (("fit", "{csv}", "--target", "species", "--cv", "1"), 2, "at least 2 folds"),
        (("predict", "{csv}", "{csv}"), 1, "not a readable skops model"),
        (("predict", "missing.skops", "{csv}"), 1, "no such file"),
        (("frobnicate",), 2, "invalid choice"),
    ],
)
def test_errors_have_exit_codes_and_no_traceback(
    tmp_path, iris_csv, args, code, fragment
):
    one_class = tmp_path / "one.csv"
    frame = pd.read_csv(iris_csv)
    frame.assign(species="setosa").to_csv(one_class, index=False)
    filled = [a.format(csv=iris_csv, one_class=one_class) for a in args]
    result = run(*filled, cwd=tmp_path)
    assert result.returncode == code
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_predict_refuses_a_model_with_foreign_types(tmp_path, iris_csv):
    import fractions

    import skops.io

    path = tmp_path / "foreign.skops"
    skops.io.dump({"payload": fractions.Fraction(1, 3)}, path)
    assert skops.io.get_untrusted_types(file=path)  # skops itself distrusts it
    result = run("predict", path, iris_csv)
    assert result.returncode == 1
    assert "does not trust" in result.stderr and "Traceback" not in result.stderr


def test_fit_and_predict_read_parquet(tmp_path, iris_csv):
    parquet = tmp_path / "iris.parquet"
    pd.read_csv(iris_csv).to_parquet(parquet)
    model_path = tmp_path / "model.skops"
    fit = run(
        "fit",
        parquet,
        "--target",
        "species",
        "--epsilons",
        "0.1",
        "--cv",
        "2",
        "--save",
        model_path,
    )
    assert fit.returncode == 0, fit.stderr
    predict = run("predict", model_path, parquet)
    assert predict.returncode == 0, predict.stderr
    lines = predict.stdout.splitlines()
    assert lines[0] == "prediction" and len(lines) == 151


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "sksmooth"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "fit" in result.stdout and "predict" in result.stdout
