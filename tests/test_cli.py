"""The command line end to end, on temporary files.

Most tests call ``sksmooth.cli.main`` in this process (fast: no interpreter
start-up); a few run the real ``python -m sksmooth`` and the console script.
"""

import hashlib
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet
import pytest
from sklearn.datasets import load_iris

import sksmooth.cli._main as cli  # the commands, where main looks them up
from sksmooth.cli._parser import build_parser
from sksmooth.cli._tables import read_training_table


def run(*args, cwd=None):
    """``python -m sksmooth ARGS`` in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "sksmooth", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
    )


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def call(capsys):
    """``sksmooth ARGS`` in this process: ``(exit code, stdout, stderr)``."""

    def call(*args):
        try:
            code = cli.main([str(arg) for arg in args])
        except SystemExit as exit:  # argparse's usage errors
            code = exit.code
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    return call


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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


@pytest.fixture
def model_file(tmp_path, iris_csv, call):
    path = tmp_path / "model.skops"
    code, _, err = call(
        "fit",
        iris_csv,
        "--target",
        "species",
        "--epsilons",
        "0.1",
        "--cv",
        "2",
        "--save",
        path,
    )
    assert code == 0, err
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
    assert [p.name for p in tmp_path.iterdir()] == ["reliability.png"]  # no temp
    # The README's table is this output: the same rows, every number within
    # 0.01 or 2 % (a network fitted by L-BFGS can flip a few of the 540 test
    # images where another processor's BLAS kernels round differently).
    readme = (ROOT / "README.md").read_text()
    block = readme[
        readme.index("<!-- demo:start -->") : readme.index("<!-- demo:end -->")
    ]
    shown = [line for line in block.splitlines() if line.startswith("| 0.")]
    assert len(shown) == len(rows) == 4
    for printed, documented in zip(rows, shown, strict=True):
        assert printed.split("|")[1] == documented.split("|")[1]
        np.testing.assert_allclose(
            [float(cell) for cell in printed.split("|")[2:5]],
            [float(cell) for cell in documented.split("|")[2:5]],
            rtol=0.02,
            atol=0.01,
        )


def test_demo_checks_its_output_before_running(tmp_path, call, monkeypatch):
    def demo_must_not_run(*args, **kwargs):
        raise AssertionError("the demo ran before the output was checked")

    monkeypatch.setattr("sksmooth.cli._main.run_demo", demo_must_not_run)
    existing = tmp_path / "reliability.png"
    existing.write_bytes(b"keep me")
    code, _, err = call("--output", tmp_path)
    assert code == 1 and "already exists; pass --force" in err
    assert existing.read_bytes() == b"keep me"
    code, _, err = call("--output", "/proc/sksmooth-cannot-be-here")
    assert code == 1 and err.startswith("error: --output") and "cannot create" in err
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    code, _, err = call("--output", a_file)
    assert code == 1 and "is a file; give a folder" in err


def test_fit_save_predict_round_trip(tmp_path, iris_csv, model_file, call):
    out = tmp_path / "predictions.csv"
    code, _, err = call("predict", model_file, iris_csv, "--proba", "--output", out)
    assert code == 0, err
    predictions = pd.read_csv(out)
    truth = pd.read_csv(iris_csv)["species"]
    assert (predictions["prediction"] == truth).mean() > 0.9
    proba = predictions[
        [f"proba_{name}" for name in ["setosa", "versicolor", "virginica"]]
    ]
    np.testing.assert_allclose(proba.sum(axis=1), 1)


def test_fit_prints_one_row_per_epsilon_exactly(iris_csv, call):
    code, out, err = call(
        "fit",
        iris_csv,
        "--target",
        "species",
        "--epsilons",
        "0,0.999999",
        "--cv",
        "2",
    )
    assert code == 0, err
    cells = [line.split("|")[1].strip() for line in out.splitlines() if "| 0" in line]
    assert cells == ["0", "0.999999"]  # not rounded to "1"


@pytest.mark.parametrize("calibration", ["none", "temperature"])
def test_the_fit_table_is_the_searchs_cv_results(
    iris_csv, call, monkeypatch, calibration
):
    """Every printed number is the fold mean that cv_results_ holds."""
    built = []
    original = cli.build_pipeline

    def keep(frame, args):
        built.append(original(frame, args))
        return built[-1]

    monkeypatch.setattr(cli, "build_pipeline", keep)
    code, out, err = call(
        "fit",
        iris_csv,
        "--target",
        "species",
        "--epsilons",
        "0,0.1,0.3",
        "--cv",
        "3",
        "--calibration",
        calibration,
        "--n-jobs",
        "2",
    )
    assert code == 0, err
    search = built[0][-1]
    results = search.cv_results_
    rows = [
        line.split("|")[1:-1] for line in out.splitlines() if line.startswith("| 0")
    ]
    assert len(rows) == 3
    for i, row in enumerate(rows):
        cells = [float(cell) for cell in row]
        assert cells[0] == results["param_epsilon"][i]
        np.testing.assert_allclose(
            cells[1:4],
            [
                results["mean_test_accuracy"][i],
                -results["mean_test_log_loss"][i],
                -results["mean_test_ece"][i],
            ],
            atol=5e-5,
        )
    assert "chosen epsilon" in out and cli.format_epsilon(search.epsilon_) in out
    if calibration == "temperature":
        assert f"{search.temperature_:.4g}" in out.split("chosen")[1]


def test_fit_with_mlp_model(iris_csv, call):
    code, _, err = call(
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
    assert code == 0, err


@pytest.mark.parametrize(
    "args, code, fragment",
    [
        (("fit", "missing.csv", "--target", "y"), 1, "no such file"),
        (("fit", "{csv}", "--target", "nope"), 1, "--target nope: no such column"),
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
    tmp_path, iris_csv, call, args, code, fragment, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    one_class = tmp_path / "one.csv"
    frame = pd.read_csv(iris_csv)
    frame.assign(species="setosa").to_csv(one_class, index=False)
    filled = [a.format(csv=iris_csv, one_class=one_class) for a in args]
    returned, _, err = call(*filled)
    assert returned == code
    assert fragment in err


def test_a_failure_in_a_real_process_is_one_line(tmp_path):
    """The installed ``sksmooth`` script, in a process of its own (``python -m
    sksmooth`` runs in a process in the demo's test)."""
    script = Path(sys.executable).parent / "sksmooth"
    result = subprocess.run(
        [str(script), "fit", str(tmp_path / "missing.csv"), "--target", "y"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: no such file: {tmp_path / 'missing.csv'}"
    ]


# -- files: nothing is lost ---------------------------------------------------


def test_fit_never_saves_onto_its_own_table(iris_csv, call):
    before = digest(iris_csv)
    for force in ([], ["--force"]):
        code, _, err = call(
            "fit", iris_csv, "--target", "species", "--save", iris_csv, *force
        )
        assert code == 1 and "is an input of this command" in err
    assert digest(iris_csv) == before


def test_fit_checks_save_before_cross_validating(tmp_path, iris_csv, call, monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("cross-validation ran before --save was checked")

    monkeypatch.setattr(
        "sksmooth.model_selection.LabelSmoothingClassifierCV.fit", must_not_run
    )
    for target, fragment in [
        (tmp_path / "no" / "folder" / "m.skops", "does not exist"),
        (tmp_path, "is a folder"),
    ]:
        code, _, err = call("fit", iris_csv, "--target", "species", "--save", target)
        assert code == 1 and fragment in err


@pytest.mark.parametrize("name", ["model.parquet", "model.pkl", "model"])
def test_save_refuses_a_name_other_than_skops_before_any_work(
    tmp_path, iris_csv, call, monkeypatch, name
):
    monkeypatch.setattr(cli, "build_pipeline", None)  # never reached
    code, _, err = call(
        "fit", iris_csv, "--target", "species", "--save", tmp_path / name
    )
    assert code == 1 and err.count("\n") == 1, err
    assert err.startswith(f"error: --save {tmp_path / name}: ") and ".skops" in err
    assert not (tmp_path / name).exists()


def test_predict_help_names_both_output_formats(call):
    code, out, _ = call("predict", "--help")
    assert code == 0
    text = " ".join(out.split())
    assert ".csv or .parquet" in text and "CSV to write" not in text


def test_predict_never_overwrites_without_force_nor_its_inputs(
    tmp_path, iris_csv, model_file, call
):
    table, model = digest(iris_csv), digest(model_file)
    for target in (iris_csv, model_file):
        for force in ([], ["--force"]):
            code, _, err = call(
                "predict", model_file, iris_csv, "--output", target, *force
            )
            assert code == 1 and "is an input of this command" in err
    existing = tmp_path / "old.csv"
    existing.write_text("precious\n")
    code, _, err = call("predict", model_file, iris_csv, "--output", existing)
    assert code == 1 and "already exists; pass --force" in err
    assert existing.read_text() == "precious\n"
    code, _, err = call(
        "predict", model_file, iris_csv, "--output", existing, "--force"
    )
    assert code == 0, err
    assert existing.read_text().startswith("prediction\n")
    assert (digest(iris_csv), digest(model_file)) == (table, model)


@pytest.mark.parametrize("where", ["missing folder", "a folder"])
def test_predict_output_errors_are_one_line(
    tmp_path, iris_csv, model_file, call, where
):
    target = tmp_path / "nope" / "out.csv" if where == "missing folder" else tmp_path
    code, _, err = call("predict", model_file, iris_csv, "--output", target)
    assert code == 1 and err.count("\n") == 1 and err.startswith("error: --output")


def test_a_failed_write_leaves_no_file_behind(
    tmp_path, iris_csv, model_file, call, monkeypatch
):
    def disk_full(self, file, **kwargs):
        file.write(b"prediction\npartial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    out = tmp_path / "out.csv"
    code, _, err = call("predict", model_file, iris_csv, "--output", out)
    assert code == 1 and "No space left on device" in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["iris.csv", "model.skops"]


def test_predict_reports_any_model_failure_in_one_line(
    tmp_path, iris_csv, model_file, call, monkeypatch
):
    def broken(self, X):
        raise TypeError("this model cannot take these columns")

    monkeypatch.setattr("sklearn.pipeline.Pipeline.predict", broken)
    code, _, err = call("predict", model_file, iris_csv)
    assert code == 1
    assert (
        err == f"error: cannot predict on {iris_csv}: this model cannot take "
        "these columns\n"
    )


def test_an_unexpected_exception_is_one_line_naming_a_bug(iris_csv, call, monkeypatch):
    def bug(*args, **kwargs):
        raise IndexError("index 0 is out of bounds")

    monkeypatch.setattr(cli, "read_training_table", bug)
    code, _, err = call("fit", iris_csv, "--target", "species")
    assert code == 1 and err.count("\n") == 1
    assert "bug in sksmooth" in err and "IndexError" not in err.split("(")[0]


# -- tables: separators, empty columns, odd files -----------------------------


def test_other_separators_are_detected(tmp_path, iris_csv, call):
    frame = pd.read_csv(iris_csv)
    for name, sep in [("semicolon", ";"), ("tab", "\t"), ("pipe", "|")]:
        path = tmp_path / f"{name}.csv"
        frame.to_csv(path, index=False, sep=sep)
        code, out, err = call(
            "fit", path, "--target", "species", "--epsilons", "0.1", "--cv", "2"
        )
        assert code == 0, (name, err)
        assert "150 rows" in out


def test_an_empty_feature_column_is_reported_once(tmp_path, iris_csv, call):
    path = tmp_path / "with_empty.csv"
    pd.read_csv(iris_csv).assign(nothing=np.nan).to_csv(path, index=False)
    code, _, err = call(
        "fit", path, "--target", "species", "--epsilons", "0,0.1", "--cv", "3"
    )
    assert code == 0
    # one note for the empty column (no imputer warning per fit), then the
    # report of what the other columns became
    assert err.startswith("note: ignoring column(s) without any value: nothing\n")
    assert err.count("nothing") == 1 and "Warning" not in err
    assert "note: feature columns\n  sepal_length: numeric\n" in err


def test_fit_table_shows_fit_times_in_milliseconds(iris_csv, call):
    """A fold's fit takes milliseconds: seconds to two decimals read 0.00."""
    code, out, err = call(
        "fit", iris_csv, "--target", "species", "--epsilons", "0,0.1", "--cv", "2"
    )
    assert code == 0, err
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("| epsilon"))
    assert header.endswith("| fit time (ms) |")
    rows = [line for line in lines if re.match(r"\| 0(\.1)? \|", line)]
    times = [float(row.split("|")[-2].replace(",", "")) for row in rows]
    assert len(times) == 2 and all(time > 0 for time in times), out


def test_every_option_has_help(call):
    parser = build_parser()
    [commands] = [a for a in parser._actions if a.dest == "command"]
    for name, sub in {"": parser, **commands.choices}.items():
        for action in sub._actions:
            assert action.help, f"{name} {action.option_strings or action.dest}"
    code, out, _ = call("fit", "--help")
    assert code == 0 and "SoftmaxRegression" in out and "SoftMLPClassifier" in out


def test_help_names_the_commands_with_a_plain_percent_sign(call):
    code, out, _ = call("--help")
    assert code == 0 and "fit" in out and "predict" in out
    assert "20% noisy" in out and "%%" not in out


@pytest.mark.parametrize("quiet", [False, True])
def test_fit_draws_a_progress_bar_on_a_terminal_unless_quiet(
    iris_csv, call, capsys, monkeypatch, quiet
):
    monkeypatch.setattr("sksmooth.cli._progress.DELAY", 0.0)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    options = ["--quiet"] if quiet else []
    code, out, err = call(
        "fit",
        iris_csv,
        "--target",
        "species",
        "--epsilons",
        "0,0.1",
        "--cv",
        "3",
        *options,
    )
    assert code == 0, err
    bars = re.findall(r"\rsearch \[[#-]{24}\] (\d)/3 fold paths, \d+ s", err)
    if quiet:
        assert bars == [] and "\r" not in err
    else:
        assert bars == ["1", "2", "3"]
        assert re.search(r"\r {40,}\r", err)  # cleared before the table's notes
    assert "| epsilon |" in out


def test_no_progress_bar_off_a_terminal(iris_csv, call, monkeypatch):
    monkeypatch.setattr("sksmooth.cli._progress.DELAY", 0.0)
    code, _, err = call("fit", iris_csv, "--target", "species", "--cv", "3")
    assert code == 0 and "\r" not in err


# What --help and a usage error import: the console script's own entry point,
# in a fresh interpreter, then the heavy packages it must not have loaded.
HELP_IMPORTS = """
import sys
from sksmooth.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    print("exit", exit.code)
heavy = ("sklearn", "scipy", "pandas", "skops", "joblib", "matplotlib")
print(sorted({m.split(".")[0] for m in sys.modules} & set(heavy)))
"""


@pytest.mark.parametrize(
    "args, code",
    [(["--help"], 0), (["fit", "--help"], 0), (["fit", "t.csv"], 2), (["nope"], 2)],
)
def test_help_and_usage_errors_do_not_import_scikit_learn(args, code):
    """``sksmooth --help`` took two seconds importing scikit-learn for nothing:
    the arguments are parsed before the commands are imported."""
    done = subprocess.run(
        [sys.executable, "-c", HELP_IMPORTS, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.stdout.splitlines()[-2:] == [f"exit {code}", "[]"], done


def test_the_package_imports_its_public_names_on_first_use():
    code = (
        "import sys, sksmooth\n"
        "assert 'sklearn' not in sys.modules, 'import sksmooth imported sklearn'\n"
        "from sksmooth import SoftmaxRegression\n"
        "import sksmooth.linear_model as home\n"
        "assert SoftmaxRegression is home.SoftmaxRegression\n"
        "assert set(sksmooth.__all__) <= set(dir(sksmooth))\n"
        "assert all(getattr(sksmooth, name) for name in sksmooth.__all__)\n"
        "try:\n    sksmooth.nothing\nexcept AttributeError as e:\n    print(e)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "module 'sksmooth' has no attribute 'nothing'\n"


FUZZ_TABLES = {
    "empty file": b"",
    "header only": b"a,b,label\n",
    "byte-order mark": "\ufeffa,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n".encode(),
    "semicolons": b"a;b;label\n1;2;x\n3;4;y\n5;6;x\n7;8;y\n",
    "quoted newlines": b'a,b,label\n"1\n2",2,x\n3,4,y\n5,6,x\n7,8,y\n',
    "not UTF-8": b"a,b,label\n\xff\xfe,2,x\n3,4,y\n5,6,x\n7,8,y\n",
    "duplicate columns": b"a,a,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n",
    "target all missing": b"a,b,label\n1,2,\n3,4,\n",
    "huge integers": b"a,b,label\n"
    + b"".join(
        b"%d,%d,%s\n" % (10**30 + i, i, b"xy"[i % 2 : i % 2 + 1]) for i in range(8)
    ),
    "one row": b"a,b,label\n1,2,x\n",
    "only the target": b"label\nx\ny\nx\ny\n",
    "ragged rows": b"a,b,label\n1,2,x,9,9\n3,4\n",
    "binary junk": bytes(range(256)) * 4,
}


@pytest.mark.parametrize("name", FUZZ_TABLES)
def test_malformed_tables_never_crash_nor_change_the_input(tmp_path, call, name):
    path = tmp_path / "table.csv"
    path.write_bytes(FUZZ_TABLES[name])
    before = digest(path)
    code, _, err = call(
        "fit",
        path,
        "--target",
        "label",
        "--epsilons",
        "0.1",
        "--cv",
        "2",
        "--save",
        tmp_path / "model.skops",
    )
    assert code in (0, 1), err
    assert code == 0 or (err.startswith("error: ") and err.count("\n") == 1), err
    assert digest(path) == before
    leftovers = {p.name for p in tmp_path.iterdir()} - {"table.csv", "model.skops"}
    assert not leftovers


@pytest.mark.parametrize(
    "args",
    [
        ["fit"],
        ["fit", "{table}", "--target"],
        ["fit", "{table}", "--target", "label", "--epsilons", "nan"],
        ["fit", "{table}", "--target", "label", "--epsilons", "--cv", "3"],
        ["fit", "{table}", "--target", "label", "--epsilons", "-0.1,x"],
        ["fit", "{table}", "--target", "label", "--epsilons", ","],
        ["fit", "{table}", "--target", "label", "--cv", "10**9"],
        ["fit", "{table}", "--target", "label", "--model", "tree"],
        ["fit", "{table}", "--target", "label", "--n-jobs", "0"],
        ["fit", "{table}", "--target", "label", "--calibration", "isotonic"],
        ["predict", "{table}"],
        ["--output"],
    ],
)
def test_malformed_arguments_are_usage_errors(tmp_path, call, args):
    table = tmp_path / "table.csv"
    table.write_bytes(b"a,label\n1,x\n2,y\n")
    code, out, err = call(*[arg.format(table=table) for arg in args])
    assert code == 2 and "usage:" in err


@pytest.mark.parametrize("epsilons", ["-0.1,0.1", "-0.1", "0.1,1.5"])
def test_out_of_range_epsilons_get_the_estimators_error(iris_csv, call, epsilons):
    """Values that look like options parse; the estimator says what is wrong."""
    code, _, err = call(
        "fit", iris_csv, "--target", "species", "--epsilons", epsilons, "--cv", "2"
    )
    assert code == 1, err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    bad = epsilons.split(",").index("-0.1" if "-" in epsilons else "1.5")
    assert errors == [errors[0]] and f"error: epsilons[{bad}] = " in errors[0]
    assert "0 <= epsilon < 1" in errors[0]


# -- model files: only what fit writes is ever built -------------------------


def test_the_trusted_types_are_exactly_these():
    assert cli.trusted_types() == {
        "numpy.dtype",
        "sksmooth.linear_model.SoftmaxRegression",
        "sksmooth.meta.LabelSmoothingClassifier",
        "sksmooth.model_selection.LabelSmoothingClassifierCV",
        "sksmooth.neural_network.SoftMLPClassifier",
    }


class Innocent:
    """A class of the user's own, which predict must refuse to build."""


def _hostile_models(victim: Path):
    from sklearn.preprocessing import FunctionTransformer

    # Paths as plain strings: a pathlib.Path in the file would be refused for
    # its own sake, hiding whether the function itself is refused.
    return {
        "a function of ours that writes files": FunctionTransformer(
            cli.save_model, kw_args={"path": str(victim)}
        ),
        "numpy.savetxt": FunctionTransformer(
            lambda X: X, kw_args={"fname": str(victim)}
        ).set_params(func=np.savetxt),
        "builtins.open": FunctionTransformer(open, kw_args={"file": str(victim)}),
        "a custom class": FunctionTransformer(Innocent),
    }


@pytest.mark.parametrize(
    "name", list(_hostile_models(Path("unused")))
)  # one test per hostile file
def test_a_hostile_model_file_cannot_make_predict_write(
    tmp_path, iris_csv, model_file, call, name
):
    import skops.io
    from sklearn.pipeline import make_pipeline

    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    honest = skops.io.load(
        model_file, trusted=skops.io.get_untrusted_types(file=model_file)
    )
    hostile = make_pipeline(_hostile_models(victim)[name], honest)
    path = tmp_path / "hostile.skops"
    skops.io.dump(hostile, path)
    code, out, err = call("predict", path, iris_csv)
    assert code == 1
    assert "does not trust" in err and out == ""
    assert victim.read_text() == "precious\n"


def test_predict_warns_of_categories_unseen_in_fit(
    tmp_path, iris_csv, model_file, call
):
    """The encoder ignores an unseen category: the rows are predicted all the
    same, and standard error names the column, the values and their rows."""
    frame = pd.read_csv(iris_csv)
    frame.loc[[0, 3, 6], "colour"] = "green"
    frame.loc[9, "colour"] = "blue"
    frame.loc[12, "colour"] = np.nan  # missing, imputed: not unseen
    new = tmp_path / "new.csv"
    frame.to_csv(new, index=False)
    code, out, err = call("predict", model_file, new)
    assert code == 0, err
    assert err.splitlines() == [
        "warning: column 'colour' has values the model did not see in fit: "
        "'green' (3 rows), 'blue' (1 row); those rows are predicted as if the "
        "column had none of its categories"
    ]
    assert len(out.splitlines()) == 1 + len(frame)
    code, _, err = call("predict", model_file, iris_csv)  # every value seen
    assert code == 0 and err == ""


def test_predict_refuses_a_model_with_foreign_types(tmp_path, iris_csv, call):
    import fractions

    import skops.io

    path = tmp_path / "foreign.skops"
    skops.io.dump({"payload": fractions.Fraction(1, 3)}, path)
    assert skops.io.get_untrusted_types(file=path)  # skops itself distrusts it
    code, _, err = call("predict", path, iris_csv)
    assert code == 1
    assert "does not trust: fractions.Fraction" in err


def test_predict_refuses_a_file_without_a_model(tmp_path, iris_csv, call):
    import skops.io

    path = tmp_path / "numbers.skops"
    skops.io.dump({"a": 1}, path)
    code, _, err = call("predict", path, iris_csv)
    assert code == 1 and "does not hold a fitted classifier" in err


def test_fit_and_predict_read_parquet(tmp_path, iris_csv, call):
    parquet = tmp_path / "iris.parquet"
    pd.read_csv(iris_csv).to_parquet(parquet)
    model_path = tmp_path / "model.skops"
    code, _, err = call(
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
    assert code == 0, err
    code, out, err = call("predict", model_path, parquet)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "prediction" and len(lines) == 151


def test_fit_runs_its_folds_on_a_dask_scheduler(iris_csv, call):
    """--scheduler ADDRESS: the folds run on the cluster's workers, same table."""
    distributed = pytest.importorskip("distributed")
    args = ("fit", iris_csv, "--target", "species", "--epsilons", "0,0.1", "--cv", "3")
    code, local, err = call(*args)
    assert code == 0, err
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        assert not cluster.scheduler.task_prefixes  # nothing ran there yet
        code, remote, err = call(*args, "--scheduler", cluster.scheduler_address)
        assert code == 0, err
        assert cluster.scheduler.task_prefixes  # the folds did

    def scores(out):  # epsilon, accuracy, log-loss, ECE of each row
        return [line.split("|")[1:5] for line in out.splitlines() if "| 0" in line]

    assert len(scores(remote)) == 2 and scores(remote) == scores(local)


def test_an_unreachable_scheduler_is_one_line_before_any_work(
    iris_csv, call, monkeypatch
):
    pytest.importorskip("distributed")
    monkeypatch.setattr(cli, "SCHEDULER_TIMEOUT", "1s")
    monkeypatch.setattr(cli, "read_training_table", None)  # must not be reached
    code, _, err = call(
        "fit", iris_csv, "--target", "species", "--scheduler", "tcp://127.0.0.1:9"
    )
    assert code == 1
    assert err.startswith("error: cannot connect to the dask scheduler at ")


# -- output files: the format their suffix names, the mode the umask gives ----


def test_predictions_to_parquet_are_parquet(tmp_path, iris_csv, model_file, call):
    as_csv, as_parquet = tmp_path / "out.csv", tmp_path / "out.parquet"
    for out in (as_csv, as_parquet):
        code, _, err = call("predict", model_file, iris_csv, "--proba", "--output", out)
        assert code == 0, err
    table = pyarrow.parquet.read_table(as_parquet).to_pandas()
    pd.testing.assert_frame_equal(table, pd.read_csv(as_csv), check_dtype=False)
    assert list(table.columns[:2]) == ["prediction", "proba_setosa"]


def test_an_unknown_output_suffix_is_refused_before_any_work(
    tmp_path, iris_csv, model_file, call, monkeypatch
):
    def must_not_load(path):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(cli, "load_model", must_not_load)
    out = tmp_path / "predictions.txt"
    code, _, err = call("predict", model_file, iris_csv, "--output", out)
    assert code == 1 and err.count("\n") == 1
    assert err.startswith("error: --output") and ".parquet" in err
    assert not out.exists()


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_written_files_honour_the_umask(tmp_path, iris_csv, call, umask):
    model, predictions = tmp_path / "m.skops", tmp_path / "p.csv"
    previous = os.umask(umask)
    try:
        code, _, err = call(
            "fit",
            iris_csv,
            "--target",
            "species",
            "--epsilons",
            "0.1",
            "--cv",
            "2",
            "--save",
            model,
        )
        assert code == 0, err
        code, _, err = call("predict", model, iris_csv, "--output", predictions)
        assert code == 0, err
    finally:
        os.umask(previous)
    for path in (model, predictions):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


# -- what each column became ---------------------------------------------------


def test_a_semicolon_table_with_decimal_commas_is_read_as_numbers(
    tmp_path, iris_csv, call, monkeypatch
):
    """The European CSV dialect: ';' between fields, ',' in the numbers."""
    frame = pd.read_csv(iris_csv)
    european = tmp_path / "iris-eu.csv"
    frame.to_csv(european, sep=";", decimal=",", index=False)
    built = []
    original = cli.build_pipeline

    def keep(frame, args):
        built.append(frame)
        return original(frame, args)

    monkeypatch.setattr(cli, "build_pipeline", keep)
    code, _, err = call(
        "fit", european, "--target", "species", "--epsilons", "0.1", "--cv", "2"
    )
    assert code == 0, err
    features = built[0]
    assert list(features.columns) == list(frame.columns.drop("species"))
    numeric = frame.drop(columns="species").select_dtypes("number").columns
    assert len(numeric) == 4
    assert all(pd.api.types.is_float_dtype(features[c]) for c in numeric)
    np.testing.assert_allclose(features[numeric], frame[numeric])
    assert "sepal_length: numeric" in err
    assert "colour: categorical (2 values)" in err


def test_a_column_of_distinct_values_is_dropped_by_name(tmp_path, iris_csv, call):
    frame = pd.read_csv(iris_csv)
    frame["measured"] = pd.date_range("2024-01-01", periods=len(frame)).astype(str)
    frame["colour"] = np.resize(["red", "green", "blue"], len(frame))
    table = tmp_path / "dated.csv"
    frame.to_csv(table, index=False)
    model = tmp_path / "m.skops"
    code, _, err = call(
        "fit",
        table,
        "--target",
        "species",
        "--epsilons",
        "0.1",
        "--cv",
        "2",
        "--save",
        model,
    )
    assert code == 0, err
    assert "measured: dropped (150 distinct values in 150 rows" in err
    assert "colour: categorical (3 values)" in err
    import skops.io

    fitted = skops.io.load(model, trusted=skops.io.get_untrusted_types(file=model))
    assert "measured" not in fitted.feature_names_in_
    assert "colour" in fitted.feature_names_in_


@pytest.mark.parametrize("start", [0, 1])
def test_a_row_index_column_is_dropped_by_name(tmp_path, iris_csv, call, start):
    """R's write.csv and pandas's to_csv write the row numbers as a column; in
    a table sorted by class it is a perfect, meaningless predictor."""
    frame = pd.read_csv(iris_csv)
    table = tmp_path / "rownames.csv"
    frame.index += start
    frame.to_csv(table, index=True)  # an unnamed first column of row numbers
    model = tmp_path / "m.skops"
    code, _, err = call(
        "fit",
        table,
        "--target",
        "species",
        "--epsilons",
        "0.1",
        "--cv",
        "2",
        "--save",
        model,
    )
    assert code == 0, err
    end = start + len(frame) - 1
    assert f"Unnamed: 0: dropped (the integers {start} to {end} in row order" in err
    import skops.io

    fitted = skops.io.load(model, trusted=skops.io.get_untrusted_types(file=model))
    assert "Unnamed: 0" not in fitted.feature_names_in_


def test_an_integer_feature_is_not_a_row_index(tmp_path, iris_csv, call):
    frame = pd.read_csv(iris_csv)
    frame["count"] = np.arange(len(frame)) + 2  # starts at 2: a feature
    frame["shuffled"] = np.random.default_rng(0).permutation(len(frame))
    table = tmp_path / "counts.csv"
    frame.to_csv(table, index=False)
    code, _, err = call(
        "fit", table, "--target", "species", "--epsilons", "0.1", "--cv", "2"
    )
    assert code == 0, err
    assert "count: numeric" in err and "shuffled: numeric" in err


def test_a_column_of_numbers_but_for_a_few_tokens_says_why(tmp_path, iris_csv, call):
    frame = pd.read_csv(iris_csv)
    frame["sepal_length"] = frame["sepal_length"].astype(object)
    frame.loc[::25, "sepal_length"] = "?"
    frame.loc[1, "sepal_length"] = "unknown"
    table = tmp_path / "question.csv"
    frame.to_csv(table, index=False)
    code, _, err = call(
        "fit", table, "--target", "species", "--epsilons", "0.1", "--cv", "2"
    )
    assert code == 0, err
    line = next(line for line in err.splitlines() if "sepal_length:" in line)
    assert line.strip().startswith("sepal_length: categorical (")
    assert "because of '?' (6 rows), 'unknown' (1 row)" in line
    assert "colour: categorical (2 values)" in err  # text stays plain text


def test_a_class_rarer_than_the_folds_is_fitted_with_a_note(tmp_path, iris_csv, call):
    """As the estimator: folds that cannot all hold the class are said, not
    refused; a class of one row is refused, by name, with the fix."""
    frame = pd.read_csv(iris_csv)
    path = tmp_path / "rare.csv"
    frame.loc[[0, 1, 2], "species"] = "rare"
    frame.to_csv(path, index=False)
    code, out, err = call("fit", path, "--target", "species", "--epsilons", "0.1")
    assert code == 0, err
    assert "note: the class 'rare' has 3 rows, fewer than --cv 5" in err
    assert "Traceback" not in err and "UserWarning" not in err
    frame.loc[[1, 2], "species"] = "setosa"
    frame.to_csv(path, index=False)
    code, _, err = call("fit", path, "--target", "species", "--epsilons", "0.1")
    assert code == 1
    assert err.startswith("error: the class 'rare' of 'species' has only 1 row")


def test_integer_class_labels_read_as_written(tmp_path, iris_csv, call, capsys):
    """A class is named as the table writes it (3), not by numpy's repr
    (np.int64(3)), in the refusals and in the note."""
    frame = pd.read_csv(iris_csv)
    frame["species"] = frame["species"].map(
        {"setosa": 1, "versicolor": 2, "virginica": 4}
    )
    frame.loc[[0, 1, 2], "species"] = 3
    path = tmp_path / "coded.csv"
    frame.to_csv(path, index=False)
    read_training_table(path, "species", 5)  # the note, without a fit
    assert "note: the class 3 has 3 rows, fewer than --cv 5" in capsys.readouterr().err
    frame.loc[[1, 2], "species"] = 1
    frame.to_csv(path, index=False)
    code, _, err = call("fit", path, "--target", "species")
    assert code == 1
    assert err.startswith("error: the class 3 of 'species' has only 1 row"), err
    frame.assign(species=7).to_csv(path, index=False)
    code, _, err = call("fit", path, "--target", "species")
    assert code == 1
    assert err.startswith("error: the target column 'species' holds one class only (7)")


def test_a_continuous_target_is_one_error_line(tmp_path, iris_csv, call):
    frame = pd.read_csv(iris_csv)
    path = tmp_path / "regression.csv"
    frame.assign(y=np.linspace(0.1257, 3.5, len(frame))).to_csv(path, index=False)
    code, _, err = call("fit", path, "--target", "y", "--epsilons", "0.1")
    assert code == 1 and err.count("\n") == 1, err
    assert err.startswith("error: the target column 'y' looks continuous"), err
    assert "sksmooth classifies" in err


def test_unconverged_fits_are_one_warning_line(tmp_path, iris_csv, call, monkeypatch):
    """The selector's one summary reaches the user as one ``warning:`` line."""
    build = cli.build_pipeline

    def build_short(X, args):
        model = build(X, args)
        model[-1].estimator.set_params(max_iter=1)
        return model

    monkeypatch.setattr(cli, "build_pipeline", build_short)
    code, _, err = call(
        "fit", iris_csv, "--target", "species", "--epsilons", "0.1", "--cv", "2"
    )
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(lines) == 1 and "3 of 3 inner fits of" in lines[0], err
    # advice that fits the command line: no option it does not have
    assert "max_iter" not in lines[0] and "scale the data" not in lines[0]
    assert "--model mlp" in lines[0]


def test_smooth_predictions_is_passed_on_and_said(tmp_path, iris_csv, call):
    path = tmp_path / "model.skops"
    code, out, err = call(
        "fit",
        iris_csv,
        "--target",
        "species",
        "--epsilons",
        "0,0.2",
        "--cv",
        "2",
        "--smooth",
        "predictions",
        "--save",
        path,
    )
    assert code == 0, err
    assert "epsilon estimates how strongly they are corrupted" in out
    code, _, err = call("fit", iris_csv, "--target", "species", "--smooth", "both")
    assert code == 2 and "invalid choice: 'both'" in err


@pytest.mark.parametrize("demo_option", [["--output", "out"], ["--force"]])
@pytest.mark.parametrize("command", ["fit", "predict"])
def test_the_demos_options_before_a_command_are_refused(
    tmp_path, call, iris_csv, model_file, demo_option, command
):
    # "sksmooth --output m.skops fit ..." used to parse and ignore --output;
    # "sksmooth --output preds.csv predict ..." printed to stdout instead.
    if demo_option[0] == "--output":
        demo_option = ["--output", tmp_path / "out"]
    rest = (
        ["fit", iris_csv, "--target", "species", "--epsilons", "0", "--cv", "2"]
        if command == "fit"
        else ["predict", model_file, iris_csv]
    )
    before = sorted(tmp_path.iterdir())
    code, out, err = call(*demo_option, *rest)
    assert code == 2 and out == ""
    assert "error: --output and --force before a command are the demo's" in err
    assert f"{command}'s own after it" in err
    assert sorted(tmp_path.iterdir()) == before  # nothing written


@pytest.fixture
def checked_csv(tmp_path, iris_csv):
    """Iris with a fifth of its labels moved to the next species and a column
    of verified species, empty on the rows nobody checked."""
    frame = pd.read_csv(iris_csv)
    species = np.array(sorted(frame["species"].unique()))
    truth = frame["species"].to_numpy()
    given = truth.copy()
    moved = np.arange(len(frame)) % 5 == 0
    given[moved] = species[(np.searchsorted(species, truth[moved]) + 1) % 3]
    frame["species"] = given
    frame["checked"] = np.where(np.arange(len(frame)) % 4 == 0, truth, None)
    path = tmp_path / "checked.csv"
    frame.to_csv(path, index=False)
    return path


def test_fit_reads_verified_classes_from_a_column_that_is_no_feature(
    checked_csv, call, capsys
):
    X, y, y_verified = read_training_table(checked_csv, "species", 3, "checked")
    assert "checked" not in X.columns
    assert y_verified.isna().sum() == 112 and y_verified.notna().sum() == 38
    capsys.readouterr()
    code, out, err = call(
        "fit",
        checked_csv,
        *("--target", "species", "--verified", "checked"),
        *("--smooth", "predictions", "--epsilons", "0,0.5,1", "--cv", "3"),
    )
    assert code == 0, err
    assert "checked" not in err.split("note: feature columns")[1]
    assert "chosen epsilon" in out


@pytest.mark.parametrize(
    "options, message",
    [
        (["--verified", "audit"], "error: --verified audit: no such column"),
        (["--verified", "species"], "error: --verified species is the target column"),
    ],
)
def test_fit_refuses_a_verified_column_it_cannot_use(
    checked_csv, call, options, message
):
    code, _, err = call("fit", checked_csv, "--target", "species", *options)
    assert code == 1
    assert err.startswith(message) and err.count("\n") == 1, err


def test_fit_refuses_a_verified_class_the_target_never_has(tmp_path, checked_csv, call):
    frame = pd.read_csv(checked_csv)
    frame.loc[0, "checked"] = "tulip"
    path = tmp_path / "tulip.csv"
    frame.to_csv(path, index=False)
    code, _, err = call("fit", path, "--target", "species", "--verified", "checked")
    assert code == 1
    assert err.startswith("error: --verified checked holds 'tulip'"), err
