"""The lab's analysis (fits, claims), ``score_pool`` and the ``catgoodhart lab`` commands, on the
tiny reference configuration (seconds, not minutes)."""

import json
import math

import numpy as np
import pytest

pytest.importorskip("torch")

from catgoodhart.cli import main  # noqa: E402
from catgoodhart.lab.analysis import analyze, early_stopping, smooth_p_value  # noqa: E402
from catgoodhart.lab.reference import TINY  # noqa: E402
from catgoodhart.lab.run import cells, load_cell, run_lab  # noqa: E402
from catgoodhart.lab.score import score_pool  # noqa: E402
from catgoodhart.reproduce import VERDICTS  # noqa: E402


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("lab") / "run"
    run_lab(TINY, out, workers=1)
    return out


@pytest.fixture(scope="module")
def analysis(tiny_run):
    return analyze(tiny_run)


def test_analysis_covers_every_configuration(analysis):
    assert [(r["data"], r["width"]) for r in analysis.bon] == [(n, w) for n in TINY.data_sizes
                                                                for w in TINY.widths]
    assert [r["width"] for r in analysis.rl] == list(TINY.widths)
    assert [r["kind"] for r in analysis.noise] == ["heavy", "light"]
    assert [c.number for c in analysis.claims] == list(range(1, 8))
    for claim in analysis.claims:
        assert claim.verdict in VERDICTS and claim.reason and claim.numbers
    for row in analysis.bon:
        assert row["groups"] == TINY.seeds * TINY.prompts
        lo, hi = row["beta_interval"]
        assert lo <= hi
        # d comes from the pool's exact KL, below the analytic log n - (n-1)/n it approaches
        n = np.asarray(analysis.n)
        assert np.all(row["d"] ** 2 <= np.log(n) - (n - 1) / n + 1e-12)


def test_fit_matches_a_refit_of_the_mean_curve(analysis):
    from catgoodhart.scaling import fit_form

    row = analysis.bon[-1]
    inside = np.asarray(analysis.n) <= TINY.n_fit
    refit = fit_form(row["d"][inside], row["gold"][inside], "bon")
    assert refit.alpha == pytest.approx(row["alpha"], rel=1e-12)
    assert refit.beta == pytest.approx(row["beta"], rel=1e-12)


def test_early_stopping_takes_the_first_step_reaching_each_level():
    kl = np.array([[0.0, 0.5, 0.4, 1.0, 2.0]])
    gold = np.array([[0.0, 1.0, 9.0, 3.0, 4.0]])
    got = early_stopping(kl, gold, [0.3, 0.45, 1.0, 1.5, 5.0])
    # 0.45: the KL dips to 0.4 after reaching 0.5 at step 1, so step 1 counts (the running maximum)
    np.testing.assert_array_equal(got[0, :4], [1.0, 1.0, 3.0, 4.0])
    assert math.isnan(got[0, 4])


def test_smooth_p_value():
    size = np.array([10, 100, 1000, 10_000, 100_000])
    x = np.log10(size)
    quadratic = 1.0 + 0.3 * x - 0.05 * x * x
    assert smooth_p_value(size, quadratic, [(v - 0.1, v + 0.1) for v in quadratic]) == pytest.approx(1.0)
    zigzag = quadratic + np.array([0.5, -0.5, 0.5, -0.5, 0.5])
    assert smooth_p_value(size, zigzag, [(v - 0.01, v + 0.01) for v in zigzag]) < 1e-6
    assert smooth_p_value(size[:3], quadratic[:3], [(0, 1)] * 3) == 1.0  # no degrees of freedom


def test_incomplete_run_is_refused(tmp_path):
    out = tmp_path / "run"
    run_lab(TINY, out, max_cells=2, workers=1)
    with pytest.raises(ValueError, match="missing; the run is not complete"):
        analyze(out)


def test_score_pool_with_a_perfect_proxy():
    rng = np.random.default_rng(3)
    gold = rng.standard_normal(3000)
    score = score_pool(2.0 * gold + 1.0, gold, n_fit=100.0, n_max=1000.0, n_points=12, kl_points=4, n_boot=20)
    # standardized, a perfect proxy is the gold itself: every gain in gold is a gain in proxy
    np.testing.assert_allclose(score.bon_gold, score.bon_proxy, rtol=1e-12, atol=1e-13)
    assert np.all(np.diff(score.bon_gold) > 0)
    assert score.alpha_interval[0] <= score.fit.alpha <= score.alpha_interval[1]


def test_score_pool_bad_input():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(500)
    with pytest.raises(ValueError, match="same responses"):
        score_pool(x, x[:400])
    with pytest.raises(ValueError, match="`gold` must not be constant"):
        score_pool(x, np.ones(500))
    with pytest.raises(ValueError, match="at least 100 finite"):
        score_pool(x[:50], x[:50])
    with pytest.raises(ValueError, match="n_max"):
        score_pool(x, x, n_fit=100.0, n_max=50.0)


def test_cli_run_resume_report(tiny_run, tmp_path, capsys):
    """Three cells in this process, the rest on a LocalCluster of two workers: every cell's
    arrays equal those of the run made in this process alone (bit for bit: each cell's numbers
    come from its own seed streams)."""
    config = tmp_path / "tiny.toml"
    settings = TINY.to_dict()
    config.write_text("\n".join(f"{k} = {json.dumps(v)}" for k, v in settings.items()) + "\n")
    out = tmp_path / "run"
    run = ["lab", "run", str(config), "--out", str(out), "--quiet"]
    assert main([*run, "--max-cells", "3", "--no-dask"]) == 0
    assert "3 of" in capsys.readouterr().out
    assert main(run) == 2
    assert "already exists; pass --resume" in capsys.readouterr().err
    assert main([*run, "--resume", "--workers", "2"]) == 0
    printed = capsys.readouterr().out
    assert f"{len(cells(TINY))} of {len(cells(TINY))} cells done" in printed
    assert "LocalCluster (2 workers)" in printed
    for cell in cells(TINY):
        ours, theirs = load_cell(out, cell), load_cell(tiny_run, cell)
        assert set(ours) == set(theirs)
        for key in ours:
            np.testing.assert_array_equal(ours[key], theirs[key], err_msg=f"{cell.name}: {key}")
    assert main(["lab", "report", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert [c["number"] for c in report["claims"]] == list(range(1, 8))
    assert all((out / "figures" / name).is_file() for name in
               ("lab_gold_vs_kl.png", "lab_coefficients.png", "lab_heavy_light.png"))
    assert main(["lab", "report", str(out), "--no-figures"]) == 0
    assert "claims" in capsys.readouterr().out
    assert main(["lab", "report", str(out)]) == 2  # the figures exist: --force is needed
    assert "--force" in capsys.readouterr().err


def test_cli_config_errors(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("widths = [8, 2]\n")
    assert main(["lab", "run", str(bad), "--out", str(tmp_path / "run")]) == 2
    assert "`widths` must hold" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
    assert main(["lab", "report", str(tmp_path)]) == 2
    assert "not a sweep run" in capsys.readouterr().err


def test_cli_score(tmp_path, capsys):
    rng = np.random.default_rng(1)
    gold = rng.standard_normal(2000)
    proxy = gold + rng.standard_t(2, 2000)
    pool = tmp_path / "pool.csv"
    np.savetxt(pool, np.c_[proxy, gold], delimiter=",", header="rm,gold", comments="")
    assert main(["lab", "score", str(pool), "--proxy", "rm", "--gold", "gold", "--n-max", "2000",
                 "--bootstrap", "20", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["responses"] == 2000 and result["error_tail"] in ("heavy", "light", "inconclusive")
    assert main(["lab", "score", str(pool), "--proxy", "nope", "--gold", "gold"]) == 2
    assert "--proxy nope" in capsys.readouterr().err


def test_cli_score_reads_parquet(tmp_path, capsys):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    rng = np.random.default_rng(2)
    gold = rng.standard_normal(1000)
    path = tmp_path / "pool.parquet"
    table = pa.table({"rm": gold + rng.standard_normal(1000), "gold": gold, "name": ["a"] * 1000})
    pq.write_table(table, path)
    assert main(["lab", "score", str(path), "--proxy", "rm", "--gold", "gold", "--n-max", "1000",
                 "--n-fit", "100", "--bootstrap", "10", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["responses"] == 1000
    assert main(["lab", "score", str(path), "--proxy", "name", "--gold", "gold"]) == 2
    assert "not a column of numbers" in capsys.readouterr().err
    damaged = tmp_path / "damaged.parquet"
    damaged.write_bytes(path.read_bytes()[:200])
    assert main(["lab", "score", str(damaged), "--proxy", "rm", "--gold", "gold"]) == 2
    assert "not a readable Parquet file" in capsys.readouterr().err
