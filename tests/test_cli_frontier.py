"""``catgoodhart frontier``: the optimizers compared at matched KL, from two laws or a pool file;
a table, JSON or a PNG, and one-line errors that overwrite nothing."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from catgoodhart import distributions as D
from catgoodhart.cli import main
from catgoodhart.optimizers import ProxyModel, frontier
from catgoodhart.optimizers.frontier import DEFAULT_METHODS, METHODS
from conftest import usage_error as _usage_error

NORMAL = ["frontier", "--error", "normal", "--utility", "normal"]
GRID = ["--kl", "1e-3", "3", "5"]  # small, and reachable by every default method on Normal + Normal
PNG = b"\x89PNG\r\n\x1a\n"


def _one_line_exit_2(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("catgoodhart frontier: error:"), err
    assert "Traceback" not in err
    return err


def _table(out):
    """The rows of the printed table as {KL: {method: value}}, and the lines after it."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["KL", "[nats]"])
    methods = lines[start].split()[2:]
    rows, end = {}, start + 1
    while end < len(lines) and lines[end].split()[0][0].isdigit():
        cells = lines[end].split()
        rows[float(cells[0])] = dict(zip(methods, map(float, cells[1:]), strict=True))
        end += 1
    return methods, rows, lines[end:]


def _pool(n=400, seed=0):
    rng = np.random.default_rng(seed)
    utility = rng.normal(size=n)
    proxy = utility + rng.standard_t(3, size=n)
    return proxy, utility


def _write_csv(path, proxy, utility, weights=None):
    header = "id,reward,gold" + (",w" if weights is not None else "")
    lines = [header]
    for i, (u, v) in enumerate(zip(proxy, utility, strict=True)):
        cells = [i, float(u), float(v)] + ([float(weights[i])] if weights is not None else [])
        lines.append(",".join(map(repr, cells)))
    path.write_text("\n".join(lines) + "\n")
    return path


def _listing(folder):
    return sorted((p.name, p.read_bytes() if p.is_file() else None) for p in folder.iterdir())


def test_normal_normal_table(capsys):
    assert main([*NORMAL, *GRID]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    methods, rows, after = _table(captured.out)
    assert methods == list(DEFAULT_METHODS)
    assert len(rows) == 5 and min(rows) == pytest.approx(1e-3) and max(rows) == pytest.approx(3.0)
    for kl, values in rows.items():
        assert all(math.isfinite(v) for v in values.values())
        # U = X + V with X, V ~ N(0, 1): the tilt π ∝ e^{U/β} has KL = 1/β² and E_π[V] = 1/β
        assert values["kl_tilt"] == pytest.approx(math.sqrt(kl), rel=1e-3)
        # E[V | U] = U/2: the tilt, the best proxy at its KL, is also the best utility
        assert max(values.values()) <= values["kl_tilt"] * (1 + 1e-3)
    assert "Normal(mu=0, sigma=1)" in captured.out and "E[V] = 0" in captured.out
    assert not any(line.startswith("nan:") for line in after)
    assert any(line.startswith("options: capped_odds cap=1000") for line in after)


def test_json_is_the_frontier(capsys):
    argv = [*NORMAL, *GRID, "--methods", "kl_tilt,quantilizer,best_of_n", "--json"]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = frontier(ProxyModel(D.Normal(), D.Normal()), ["kl_tilt", "quantilizer", "best_of_n"],
                        kl=np.geomspace(1e-3, 3, 5)).to_dict()
    assert printed == json.loads(json.dumps(expected))
    assert printed["methods"] == ["kl_tilt", "quantilizer", "best_of_n"]
    assert printed["matched"] == "kl" and len(printed["target"]) == 5


def test_json_has_every_default_method(tmp_path, capsys):
    proxy, utility = _pool(n=200)
    path = _write_csv(tmp_path / "pool.csv", proxy, utility)
    assert main(["frontier", "--pool", str(path), "--proxy", "reward", "--utility-column", "gold", *GRID,
                 "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["methods"] == list(DEFAULT_METHODS)
    for key in ("strength", "kl", "mean_utility", "mean_proxy", "max_odds_ratio", "reason"):
        assert set(printed[key]) == set(DEFAULT_METHODS)
    np.testing.assert_allclose(printed["kl"]["best_of_n"], printed["target"], rtol=1e-9)


def test_plot_writes_a_png(tmp_path, capsys):
    out = tmp_path / "frontier.png"
    assert main([*NORMAL, *GRID, "--methods", "kl_tilt,quantilizer", "--plot", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"wrote {out}" in captured.err
    assert "kl_tilt" in captured.out  # the table is printed as well
    assert out.read_bytes()[:8] == PNG
    assert [p.name for p in tmp_path.iterdir()] == ["frontier.png"]


def test_pool_csv(tmp_path, capsys):
    proxy, utility = _pool()
    path = _write_csv(tmp_path / "pool.csv", proxy, utility)
    argv = ["frontier", "--pool", str(path), "--proxy", "reward", "--utility-column", "gold",
            "--kl", "0.01", "10", "3"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    methods, rows, after = _table(out)
    assert methods == list(DEFAULT_METHODS)
    assert sorted(rows) == pytest.approx([0.01, math.sqrt(0.1), 10], rel=1e-3)
    # 400 equally weighted responses: no policy has KL above log 400 = 5.99 nats
    assert "pool of 400 responses" in out and "KL(π‖π0) <= 5.991 nats" in out
    assert all(math.isnan(v) for v in rows[10.0].values())
    assert all(math.isfinite(v) for kl in rows if kl < 10 for v in rows[kl].values())
    notes = [line for line in after if line.startswith("  ")]
    assert [line.split()[0] for line in notes] == list(DEFAULT_METHODS)  # one reason per method
    assert all("(KL 10)" in line and "not reachable" in line for line in notes)

    assert main([*argv, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = frontier(ProxyModel.from_pool(proxy, utility), kl=np.geomspace(0.01, 10, 3)).to_dict()
    assert printed == json.loads(json.dumps(expected))


def test_pool_formats_and_weights_agree(tmp_path, capsys):
    proxy, utility = _pool(n=120, seed=1)
    weights = np.random.default_rng(2).uniform(0.5, 2.0, size=proxy.size)
    np.savez(tmp_path / "pool.npz", reward=proxy, gold=utility, w=weights)
    (tmp_path / "columns.json").write_text(json.dumps({"reward": proxy.tolist(), "gold": utility.tolist(),
                                                       "w": weights.tolist()}))
    (tmp_path / "records.json").write_text(json.dumps([{"reward": u, "gold": v, "w": w} for u, v, w in
                                                       zip(proxy, utility, weights, strict=True)]))
    _write_csv(tmp_path / "pool.csv", proxy, utility, weights)
    tsv = tmp_path / "pool.tsv"
    tsv.write_text((tmp_path / "pool.csv").read_text().replace(",", "\t"))
    expected = frontier(ProxyModel.from_pool(proxy, utility, weights), ["kl_tilt", "best_of_n"],
                        kl=np.geomspace(0.01, 1, 3)).to_dict()
    for name in ("pool.npz", "columns.json", "records.json", "pool.csv", "pool.tsv"):
        argv = ["frontier", "--pool", str(tmp_path / name), "--proxy", "reward", "--utility-column", "gold",
                "--weights", "w", "--kl", "0.01", "1", "3", "--methods", "kl_tilt,best_of_n", "--json"]
        assert main(argv) == 0, name
        assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(expected)), name


def test_default_grid_and_methods(tmp_path, capsys):
    proxy, utility = _pool(n=100)
    path = _write_csv(tmp_path / "pool.csv", proxy, utility)
    assert main(["frontier", "--pool", str(path), "--proxy", "reward", "--utility-column", "gold"]) == 0
    methods, rows, _ = _table(capsys.readouterr().out)
    assert methods == list(DEFAULT_METHODS)
    np.testing.assert_allclose(sorted(rows), np.geomspace(1e-3, 10, 50), rtol=1e-3)


def test_help_names_the_defaults(capsys):
    with pytest.raises(SystemExit) as info:
        main(["frontier", "--help"])
    assert info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "default: " + ", ".join(DEFAULT_METHODS) + ";" in text
    assert "(default 0.001 10 50;" in text
    for option in ("--error SPEC", "--utility SPEC", "--pool FILE", "--proxy COL", "--utility-column COL",
                   "--kl MIN MAX N", "--methods", "--json", "--plot OUT", "--force"):
        assert option in text, option


@pytest.mark.parametrize("extra, fragment", [
    (["--methods", "kl_tilt,nope"], "--methods: unknown method 'nope'; known: " + ", ".join(METHODS)),
    (["--methods", "kl_tilt,,quantilizer"], "--methods: an empty method name"),
    (["--methods", "kl_tilt,kl_tilt"], "--methods: 'kl_tilt' given twice"),
    (["--kl", "0", "1", "5"], "--kl: MIN must be a finite number of nats > 0, got '0'"),
    (["--kl", "-1", "1", "5"], "--kl: MIN must be a finite number of nats > 0"),
    (["--kl", "0.1", "nan", "5"], "--kl: MAX must be a finite number of nats > 0, got 'nan'"),
    (["--kl", "0.1", "inf", "5"], "--kl: MAX must be a finite number"),
    (["--kl", "x", "1", "5"], "--kl: MIN must be a finite number"),
    (["--kl", "2", "1", "5"], "--kl: MIN must be <= MAX"),
    (["--kl", "0.1", "1", "0"], "--kl: N must be an integer from 1 to 10000, got '0'"),
    (["--kl", "0.1", "1", "2.5"], "--kl: N must be an integer from 1 to 10000"),
    (["--kl", "0.1", "1", "1e9"], "--kl: N must be an integer from 1 to 10000"),
    (["--plot", "out.pdf"], "--plot must name a .png file"),
])
def test_bad_options_are_one_line(capsys, extra, fragment):
    assert fragment in _one_line_exit_2(capsys, [*NORMAL, *extra])


@pytest.mark.parametrize("argv, fragment", [
    (["--error", "foo", "--utility", "normal"], "--error foo: unknown distribution 'foo'; known: normal"),
    (["--error", "normal", "--utility", "student_t"], "--utility student_t: student_t needs `nu`"),
    (["--error", "student_t:nu=-3", "--utility", "normal"], "--error student_t:nu=-3: `nu` must be > 0"),
    (["--error", "normal"], "--error needs --utility SPEC too"),
    (["--utility", "normal"], "--utility needs --error SPEC too"),
    ([], "give the model: --error SPEC --utility SPEC, or --pool FILE"),
    (["--error", "normal", "--utility", "normal", "--pool", "pool.csv", "--proxy", "reward",
      "--utility-column", "gold"], "--error and --utility cannot be combined with --pool"),
    (["--error", "normal", "--pool", "pool.csv"], "--error cannot be combined with --pool"),
    (["--pool", "pool.csv"], "--pool needs --proxy and --utility-column too"),
    (["--pool", "pool.csv", "--proxy", "reward"], "--pool needs --utility-column too"),
    (["--proxy", "reward", "--utility-column", "gold"], "--proxy needs --pool too"),
])
def test_bad_models_are_one_line(tmp_path, capsys, monkeypatch, argv, fragment):
    monkeypatch.chdir(tmp_path)
    proxy, utility = _pool(n=20)
    _write_csv(tmp_path / "pool.csv", proxy, utility)
    assert fragment in _one_line_exit_2(capsys, ["frontier", *argv])


def _bad_files(folder):
    """name -> (bytes or None for a missing file, the column options, a fragment of the error)."""
    proxy, utility = _pool(n=20)
    np.savez(folder / "short.npz", reward=proxy, gold=utility[:-1])
    np.savez(folder / "good.npz", reward=proxy, gold=utility)
    good = (folder / "good.npz").read_bytes()
    _write_csv(folder / "good.csv", proxy, utility)
    csv = (folder / "good.csv").read_text()
    return {
        "missing column": ("good.csv", None, ["--proxy", "score"],
                           "--proxy score: {path}: has no column 'score'; its columns: id, reward, gold"),
        "missing utility column": ("good.csv", None, ["--utility-column", "true"],
                                   "--utility-column true: {path}: has no column 'true'"),
        "missing array": ("good.npz", None, ["--proxy", "score"],
                          "--proxy score: {path}: has no array 'score'; its arrays: reward, gold"),
        "missing json key": ("pool.json", json.dumps({"reward": [1, 2], "gold": [1, 2]}).encode(),
                             ["--utility-column", "true"],
                             "{path}: has no column 'true'; its columns: reward"),
        "missing file": ("absent.csv", None, [], "--proxy reward: {path}: no such file"),
        "missing json file": ("absent.json", None, [], "{path}: no such file"),
        "not a number": ("pool.csv", csv.replace("\n3,", "\n3,abc", 1).encode(), [],
                         "{path}, line 5, column reward: 'abc"),
        "empty cell": ("pool.csv", (csv.rsplit(",", 1)[0] + ",\n").encode(), [],
                       "{path}[gold]: 1 values are empty, NaN or infinite"),
        "binary csv": ("pool.csv", b"\xff\xfe\x00garbage", [], "{path}: cannot be read"),
        "empty csv": ("pool.csv", b"", [], "{path}: contains no values"),
        "truncated npz": ("pool.npz", good[: len(good) // 2], [], "{path}: cannot be read"),
        "corrupt npz": ("pool.npz", b"garbage", [], "{path}: not a readable .npz archive"),
        "truncated json": ("pool.json", b'{"reward": [1, 2', [], "{path}: not valid JSON (line 1"),
        "json strings": ("pool.json", b'{"reward": [1, "a"], "gold": [1, 2]}', [],
                         '{path}[reward]: entry 1 is not a number: "a"'),
        "json nan": ("pool.json", b'{"reward": [1, NaN], "gold": [1, 2]}', [],
                     "{path}[reward]: 1 of 2 values are NaN or infinite"),
        "json shape": ("pool.json", b"[1, 2, 3]", [], "{path}: must hold an object of columns"),
        "lengths differ": ("short.npz", None, [], "--utility-column gold: {path}[gold] has 19 values but the "
                                                  "--proxy column has 20"),
        "unsupported suffix": ("pool.npy", b"", [],
                               "--pool {path}: must be a .csv, .tsv, .npz, .json or .parquet file"),
        "negative weights": ("good.csv", None, ["--weights", "gold"],
                             "--weights gold: weights must be >= 0 and not all 0"),
    }


BAD_FILES = ["missing column", "missing utility column", "missing array", "missing json key", "missing file",
             "missing json file", "not a number", "empty cell", "binary csv", "empty csv", "truncated npz",
             "corrupt npz", "truncated json", "json strings", "json nan", "json shape", "lengths differ",
             "unsupported suffix", "negative weights"]
# numpy.load leaves a truncated .npz file open (closed, with a ResourceWarning, when collected)
_NUMPY_LEAK = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning",
                                         "ignore::ResourceWarning")


@pytest.mark.parametrize("case", [pytest.param(c, marks=_NUMPY_LEAK) if c == "truncated npz" else c
                                  for c in BAD_FILES])
def test_bad_pool_files_are_one_line(tmp_path, capsys, case):
    cases = _bad_files(tmp_path)
    assert sorted(cases) == sorted(BAD_FILES)
    name, content, options, fragment = cases[case]
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    columns = {"--proxy": "reward", "--utility-column": "gold"}
    columns.update(dict(zip(options[::2], options[1::2], strict=True)))
    argv = ["frontier", "--pool", str(path), *[x for item in columns.items() for x in item],
            "--kl", "0.1", "1", "2"]
    err = _one_line_exit_2(capsys, argv)
    assert fragment.format(path=path) in err, err


def test_argparse_errors_are_one_line(capsys):
    assert "argument --kl: expected 3 arguments" in _usage_error(capsys, [*NORMAL, "--kl", "0.1", "1"])
    _usage_error(capsys, [*NORMAL, "--bogus"])


def test_plot_problems_touch_nothing(tmp_path, capsys):
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "old.png").write_bytes(b"keep me")
    before = _listing(tmp_path)
    cases = {"missing/x.png": "its folder", "folder.png": "is a folder",
             "old.png": "already exists; pass --force"}
    for plot, fragment in cases.items():
        err = _one_line_exit_2(capsys, [*NORMAL, *GRID, "--plot", str(tmp_path / plot)])
        assert f"--plot {tmp_path / plot}" in err and fragment in err, err
    assert _listing(tmp_path) == before


def test_a_failing_command_keeps_an_existing_plot(tmp_path, capsys, monkeypatch):
    old = tmp_path / "old.png"
    old.write_bytes(b"keep me")
    before = _listing(tmp_path)
    failing = [["--methods", "nope"], ["--kl", "1", "0", "3"], ["--error", "foo", "--utility", "normal"],
               ["--pool", str(tmp_path / "absent.csv"), "--proxy", "a", "--utility-column", "b"]]
    for extra in failing:
        model = [] if "--error" in extra or "--pool" in extra else NORMAL[1:]
        _one_line_exit_2(capsys, ["frontier", *model, *extra, "--plot", str(old), "--force"])
        assert _listing(tmp_path) == before, extra

    # a write that fails halfway leaves the old file and no partial one
    from catgoodhart.viz import _io

    def broken(fig, fh):
        fh.write(b"half a PNG")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_io, "save_png", broken)
    err = _one_line_exit_2(capsys, [*NORMAL, *GRID, "--methods", "kl_tilt", "--plot", str(old), "--force"])
    assert f"--plot {old}: cannot be written: No space left on device" in err
    assert _listing(tmp_path) == before
    monkeypatch.undo()

    assert main([*NORMAL, *GRID, "--methods", "kl_tilt", "--plot", str(old), "--force"]) == 0
    assert old.read_bytes()[:8] == PNG and [p.name for p in tmp_path.iterdir()] == ["old.png"]


def test_errors_through_the_entry_point_have_no_traceback():
    done = subprocess.run([sys.executable, "-m", "catgoodhart", "frontier", "--error", "normal",
                           "--utility", "normal", "--methods", "best_of_n,nope"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("catgoodhart frontier: error: --methods: unknown method 'nope'")
    assert "Traceback" not in done.stderr
