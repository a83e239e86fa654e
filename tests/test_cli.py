"""The ``catgoodhart`` command line: version, listing, sampling, and one-line errors that
leave no partial file behind and overwrite nothing without ``--force``."""

import os
import subprocess
import sys

import numpy as np
import pytest

from catgoodhart import __version__, _files, _validation
from catgoodhart import distributions as D
from catgoodhart.cli import main
from conftest import usage_error as _usage_error


def test_version_through_the_entry_point():
    done = subprocess.run([sys.executable, "-m", "catgoodhart", "--version"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"catgoodhart {__version__}"


def test_no_command_prints_help(capsys):
    assert main([]) == 0
    assert "distributions" in capsys.readouterr().out


def test_distributions_lists_every_family(capsys):
    assert main(["distributions"]) == 0
    out = capsys.readouterr().out
    for cls in D.FAMILIES:
        assert D.spec_name(cls) in out
    assert "nu (> 0)" in out


def test_sample_prints_the_library_samples(capsys):
    assert main(["sample", "student_t:nu=3", "-n", "5", "--seed", "0"]) == 0
    printed = np.array(capsys.readouterr().out.split(), dtype=float)
    np.testing.assert_array_equal(printed, D.StudentT(nu=3).sample(5, seed=0))


def test_sample_writes_npy(tmp_path):
    out = tmp_path / "x.npy"
    assert main(["sample", "pareto:alpha=1.5,xm=1", "-n", "1000", "--seed", "3", "--out", str(out)]) == 0
    np.testing.assert_array_equal(np.load(out), D.Pareto(alpha=1.5, xm=1).sample(1000, seed=3))
    assert [p.name for p in tmp_path.iterdir()] == ["x.npy"]


@pytest.mark.parametrize("spec, message", [
    ("foo:a=1", "unknown distribution 'foo'"),
    ("student_t", "needs `nu`"),
    ("student_t:nu=-3", "`nu` must be > 0"),
    ("student_t:nu=abc", "`nu` must be a number"),
    ("pareto:alpha=1.5,beta=2", "pareto has no parameter 'beta'"),
    ("pareto:alpha", "expected param=value"),
    ("normal:mu=1,mu=2", "given twice"),
    ("uniform:low=2,high=1", "`high` must be > `low`"),
    ("", "empty distribution spec"),
])
def test_bad_spec_is_one_line_and_exit_2(capsys, spec, message):
    assert main(["sample", spec, "-n", "3"]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def _one_line_exit_2(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith(f"catgoodhart {argv[0]}: error:"), err
    return err


def test_bad_count_and_seed_exit_2(capsys):
    for argv in (["sample", "normal", "-n", "-1"], ["sample", "normal", "--seed", "-5"]):
        assert "must be an integer >= 0" in _usage_error(capsys, argv)


@pytest.mark.parametrize("text", ["1.5", "-3", "abc", "", "1e-3", "1e400", "inf", "nan", "1e999999999",
                                  "0x10"])
def test_malformed_count_is_one_line_with_the_range(capsys, text):
    err = _usage_error(capsys, ["sample", "normal", "-n", text])
    assert "argument -n" in err and "integer >= 0" in err


@pytest.mark.parametrize("text, n", [("1000", 1000), ("1e3", 1000), ("2.5e1", 25), (" 7 ", 7), ("0", 0)])
def test_count_accepts_integers_written_like_1e6(capsys, text, n):
    assert main(["sample", "normal", "-n", text, "--seed", "1"]) == 0
    printed = np.array(capsys.readouterr().out.split(), dtype=float)
    np.testing.assert_array_equal(printed, D.Normal().sample(n, seed=1))  # same seed: the same bits


def test_seed_takes_the_same_integer_forms(capsys):
    assert main(["sample", "normal", "-n", "3", "--seed", "1e3"]) == 0
    printed = np.array(capsys.readouterr().out.split(), dtype=float)
    np.testing.assert_array_equal(printed, D.Normal().sample(3, seed=1000))
    for text in ("1.5", "-1", "x"):
        assert "argument --seed" in _usage_error(capsys, ["sample", "normal", "--seed", text])


@pytest.mark.parametrize("text", ["1e20", "99999999999999999999999", str(2**64 + 1), "1e100"])
def test_count_beyond_memory_names_n_and_the_bytes(capsys, text):
    err = _one_line_exit_2(capsys, ["sample", "student_t:nu=3", "-n", text])
    assert "`n`" in err and "bytes" in err and "memory" in err


@pytest.mark.parametrize("argv", [["sample", "normal", "--bogus"], ["distributions", "extra"],
                                  ["tails", "x.npy", "--center", "median"],
                                  ["probe", "report", "run", "--center", "median"],
                                  ["check", "--theorem", "x"], ["nosuchcommand"]])
def test_unknown_options_are_one_line(capsys, argv):
    _usage_error(capsys, argv)


def _listing(folder):
    return sorted((p.name, p.read_bytes() if p.is_file() else None) for p in folder.iterdir())


def test_sample_out_problems_are_one_line_and_touch_nothing(tmp_path, capsys):
    (tmp_path / "folder.npy").mkdir()
    (tmp_path / "file").write_text("not a folder")
    (tmp_path / "old.npy").write_bytes(b"keep me")
    before = _listing(tmp_path)
    cases = {"missing/x.npy": "folder", "folder.npy": "is a folder", "file/x.npy": "not a folder",
             "old.npy": "already exists; pass --force"}
    for out, fragment in cases.items():
        err = _one_line_exit_2(capsys, ["sample", "normal", "-n", "5", "--out", str(tmp_path / out)])
        assert fragment in err, err
    assert _listing(tmp_path) == before


def test_sample_out_needs_force_to_overwrite(tmp_path, capsys):
    out = tmp_path / "x.npy"
    assert main(["sample", "normal", "-n", "5", "--seed", "1", "--out", str(out)]) == 0
    assert "wrote 5 samples" in capsys.readouterr().err
    first = out.read_bytes()
    assert "already exists" in _one_line_exit_2(capsys, ["sample", "normal", "-n", "3", "--out", str(out)])
    assert out.read_bytes() == first
    assert main(["sample", "normal", "-n", "3", "--seed", "2", "--out", str(out), "--force"]) == 0
    np.testing.assert_array_equal(np.load(out), D.Normal().sample(3, seed=2))
    assert [p.name for p in tmp_path.iterdir()] == ["x.npy"]


def test_unwritable_folder_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(_files.os, "access", lambda *args, **kwargs: False)
    err = _one_line_exit_2(capsys, ["sample", "normal", "-n", "5", "--out", str(tmp_path / "x.npy")])
    assert "not writable" in err and not any(tmp_path.iterdir())


def test_tails_plot_problems_are_one_line_and_touch_nothing(tmp_path, capsys):
    np.save(tmp_path / "r.npy", D.StudentT(nu=3).sample(500, seed=0))
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "old.png").write_bytes(b"keep me")
    before = _listing(tmp_path)
    cases = {"missing/x.png": "folder", "folder.png": "is a folder",
             "old.png": "already exists; pass --force"}
    for plot, fragment in cases.items():
        err = _one_line_exit_2(capsys, ["tails", str(tmp_path / "r.npy"), "--plot", str(tmp_path / plot)])
        assert fragment in err, err
    assert _listing(tmp_path) == before
    assert main(["tails", str(tmp_path / "r.npy"), "--plot", str(tmp_path / "old.png"), "--force"]) == 0
    assert (tmp_path / "old.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.png", "old.png", "r.npy"]


@pytest.mark.parametrize("content", [None, b"", b"\x93NUMPY\x01\x00v\x00{'descr'", b"garbage"],
                         ids=["missing", "empty", "truncated", "corrupt"])
def test_tails_unreadable_input_is_one_line(tmp_path, capsys, content):
    path = tmp_path / "r.npy"
    if content is not None:
        path.write_bytes(content)
    assert "r.npy" in _one_line_exit_2(capsys, ["tails", str(path)])


def test_figures_and_reproduce_outputs_are_checked_before_any_work(tmp_path, capsys):
    (tmp_path / "file").write_text("not a folder")
    (tmp_path / "figs").mkdir()
    (tmp_path / "figs" / "gao_forms.png").write_bytes(b"keep me")
    (tmp_path / "REPORT.md").write_text("keep me")
    before = _listing(tmp_path)
    cases = [(["figures", "--out", str(tmp_path / "file")], "is a file"),
             (["figures", "--out", str(tmp_path / "file" / "sub")], "file is a file"),
             (["figures", "--out", str(tmp_path / "figs"), "--only", "gao_forms"],
              "already holds gao_forms.png"),
             (["reproduce", "--out", str(tmp_path / "figs")], "already holds"),
             (["reproduce", "--skip-figures", "--report", str(tmp_path / "REPORT.md")], "already exists"),
             (["reproduce", "--skip-figures", "--report", str(tmp_path / "figs")], "is a folder"),
             (["reproduce", "--skip-figures", "--report", str(tmp_path / "file" / "r.md")], "is a file")]
    for argv, fragment in cases:
        assert fragment in _one_line_exit_2(capsys, [*argv, "--quiet"]), argv
    assert _listing(tmp_path) == before
    assert (tmp_path / "figs" / "gao_forms.png").read_bytes() == b"keep me"


def test_interrupted_write_leaves_the_old_file_and_no_partial(tmp_path):
    path = tmp_path / "x.npy"
    path.write_bytes(b"old")

    def interrupted(f):
        f.write(b"half")
        raise KeyboardInterrupt

    for overwrite in (True, False):
        with pytest.raises((KeyboardInterrupt, FileExistsError)):
            _files.write_atomically(path, interrupted, overwrite=overwrite)
        assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["x.npy"]


def test_without_overwrite_a_file_that_appears_meanwhile_is_kept(tmp_path):
    path = tmp_path / "x.npy"

    def racing(f):
        f.write(b"new")
        path.write_bytes(b"appeared meanwhile")

    with pytest.raises(FileExistsError):
        _files.write_atomically(path, racing, overwrite=False)
    assert path.read_bytes() == b"appeared meanwhile" and os.listdir(tmp_path) == ["x.npy"]
    _files.write_atomically(path, lambda f: f.write(b"new"), overwrite=True)
    assert path.read_bytes() == b"new" and os.listdir(tmp_path) == ["x.npy"]


def test_a_closed_pipe_is_no_traceback():
    proc = subprocess.Popen([sys.executable, "-m", "catgoodhart", "sample", "normal", "-n", "200000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait()
    proc.stderr.close()
    assert "Traceback" not in err and "Error" not in err, err


def test_memory_bound_is_the_machines(monkeypatch):
    assert _validation.physical_memory() > 0
    monkeypatch.setattr(_validation, "physical_memory", lambda: 800)
    assert main(["sample", "normal", "-n", "100"]) == 0
    assert main(["sample", "normal", "-n", "101"]) == 2


def test_out_must_be_npy(capsys, tmp_path):
    assert main(["sample", "normal", "--out", str(tmp_path / "x.txt")]) == 2
    assert not any(tmp_path.iterdir())


def test_spec_names_are_forgiving():
    assert D.parse_spec("LogNormal:sigma=0.5") == D.LogNormal(sigma=0.5)
    assert D.parse_spec("burr-xii:c=2,k=1") == D.BurrXII(c=2, k=1)
    assert D.parse_spec("cauchy") == D.Cauchy()
