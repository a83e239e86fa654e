"""The ``catgoodhart`` command line: version, listing, sampling, and one-line errors."""

import subprocess
import sys

import numpy as np
import pytest

from catgoodhart import __version__
from catgoodhart import distributions as D
from catgoodhart.cli import main


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


def test_bad_count_and_seed_exit_2(capsys):
    for argv in (["sample", "normal", "-n", "-1"], ["sample", "normal", "--seed", "-5"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
    assert "must be an integer >= 0" in capsys.readouterr().err


def test_out_must_be_npy(capsys, tmp_path):
    assert main(["sample", "normal", "--out", str(tmp_path / "x.txt")]) == 2
    assert not any(tmp_path.iterdir())


def test_spec_names_are_forgiving():
    assert D.parse_spec("LogNormal:sigma=0.5") == D.LogNormal(sigma=0.5)
    assert D.parse_spec("burr-xii:c=2,k=1") == D.BurrXII(c=2, k=1)
    assert D.parse_spec("cauchy") == D.Cauchy()
