"""tail_report's verdict on laws of known class, its invariance under a·x + b, the file
readers, and ``catgoodhart tails``."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from catgoodhart import distributions as D
from catgoodhart.cli import main
from catgoodhart.tails.io import read_samples
from catgoodhart.tails.report import VERDICTS, stage_ks, tail_report

N = 20_000

#: laws whose verdict at n = 20,000 is settled for every seed tried (0..39 in development;
#: Weibull(2) is not: light for 33 of them, inconclusive for 7)
CLEAR = [
    ("pareto(1.5)", stats.pareto(1.5), "heavy"),
    ("student_t(3)", stats.t(3), "heavy"),
    ("lognormal(1)", stats.lognorm(1.0), "heavy"),
    ("weibull(0.5)", stats.weibull_min(0.5), "heavy"),
    ("frechet(3)", stats.invweibull(3.0), "heavy"),
    ("normal", stats.norm(), "light"),
    ("uniform", stats.uniform(), "light"),
]


@pytest.mark.parametrize("name, law, verdict", CLEAR, ids=[c[0] for c in CLEAR])
@pytest.mark.parametrize("seed", [0, 1])
def test_verdict_on_laws_of_known_class(name, law, verdict, seed):
    r = tail_report(law.rvs(size=N, random_state=seed))
    assert r.verdict == verdict, r.summary()
    assert r.reasons and r.needed_n is None


def test_lognormal_is_heavy_through_the_excess_shape():
    """Hill-type γ cannot see lognormal heaviness; the penultimate GPD shape of its excesses,
    ξ(u) ≈ 1/log u > 0, can."""
    r = tail_report(stats.lognorm(1.0).rvs(size=N, random_state=3))
    assert r.verdict == "heavy"
    assert "ξ̂ = " in r.reasons[0] and "> 0: the excesses' hazard decreases" in r.reasons[0]
    assert [v.k for v in r.votes] == [k for k, _ in stage_ks(N)] == [141, 381, 1025]


def test_exponential_sits_on_the_boundary():
    r = tail_report(stats.expon().rvs(size=N, random_state=0))
    assert r.verdict == "inconclusive"
    assert any("exponential boundary" in reason for reason in r.reasons)


def test_report_is_reproducible_and_serializable():
    x = stats.t(4).rvs(size=5000, random_state=7)
    a, b = tail_report(x), tail_report(x)
    assert a.to_dict() == b.to_dict()
    d = json.loads(json.dumps(a.to_dict()))
    assert d["verdict"] in VERDICTS and d["n"] == 5000
    assert "verdict:" in a.summary()


def test_summary_says_which_estimates_vote():
    r = tail_report(stats.t(3).rvs(size=5000, random_state=4))
    text = r.summary()
    assert "centre" not in text and "center" not in text
    assert "location- and scale-free; these vote" in text and "supporting evidence (does not vote)" in text
    origin = "[depends on the origin: log of the raw values]"
    for line in text.splitlines():
        if line.lstrip().startswith(("moment γ̂", "hill γ̂", "Weibull θ̂", "bias-reduced")):
            assert line.endswith(origin), line
    assert "center" not in r.to_dict() and "location" not in r.to_dict()


# ----- invariance under x -> a·x + b ---------------------------------------------------------

INVARIANCE_LAWS = {
    "normal": stats.norm(), "exponential": stats.expon(), "gumbel": stats.gumbel_r(),
    "uniform": stats.uniform(), "student_t(3)": stats.t(3), "lognormal(1)": stats.lognorm(1.0),
    "pareto(2)": stats.pareto(2.0), "weibull(0.5)": stats.weibull_min(0.5),
}


@settings(max_examples=30, deadline=None)
@given(law=st.sampled_from(sorted(INVARIANCE_LAWS)), n=st.integers(50, 5000), seed=st.integers(0, 2**31),
       log_a=st.floats(-6.0, 6.0), shift=st.floats(-1e6, 1e6))
def test_verdict_is_invariant_under_affine_maps(law, n, seed, log_a, shift):
    """b is ``shift`` interquartile ranges of a·x: up to 10^6 of them, so a·x + b keeps
    about 10 of its 16 digits for the excesses, which the verdict reads."""
    x = INVARIANCE_LAWS[law].rvs(size=n, random_state=seed)
    a = 10.0**log_a
    q75, q25 = np.percentile(a * x, [75, 25])
    y = a * x + shift * (q75 - q25)
    r, moved = tail_report(x, seed=0), tail_report(y, seed=0)
    assert moved.verdict == r.verdict, (r.summary(), moved.summary())
    for v, w in zip(r.votes, moved.votes, strict=True):
        # the rounding of a·x + b moves each excess by ~1e-16·|b| = ~1e-10 of their spread
        # (|shift| <= 1e6); the z-scores, smooth in the excesses, move by about as much
        assert v.k == w.k and w.z == pytest.approx(v.z, abs=1e-6, nan_ok=True)


def test_verdict_is_bitwise_invariant_under_exact_scalings():
    x = stats.lognorm(1.0).rvs(size=3000, random_state=5)
    r = tail_report(x)
    for a in (2.0**-40, 0.25, 8.0, 2.0**60):  # multiplying by a power of two is exact
        moved = tail_report(a * x)
        assert moved.verdict == r.verdict and [w.z for w in moved.votes] == [v.z for v in r.votes]


def test_standardized_gumbel_is_not_heavy():
    """Standardizing 10^5 Gumbel draws used to move log-based estimates to a heavy verdict."""
    for seed in range(3):
        x = D.Gumbel().sample(100_000, seed=seed)
        r, z = tail_report(x), tail_report((x - np.mean(x)) / np.std(x))
        assert z.verdict == r.verdict == "inconclusive"


def test_exponential_centred_at_its_median_is_not_heavy():
    """On exact exponential excesses each shape test is heavy with probability ~0.6% (z > 2.5),
    three of them together at most ~2%: of seeds 0-19, seed 4 reads heavy (z = 2.6 at k = n^0.7),
    raw and shifted alike; a verdict on log X read heavy for 19 of the 20 shifted samples."""
    verdicts = []
    for seed in range(20):
        x = D.Exponential().sample(100_000, seed=seed)
        r, shifted = tail_report(x), tail_report(x - np.median(x))
        assert shifted.verdict == r.verdict
        verdicts.append(r.verdict)
    assert verdicts.count("heavy") == 1 and verdicts[4] == "heavy"
    assert verdicts.count("inconclusive") >= 18


# ----- degenerate samples ----------------------------------------------------------------------

@pytest.mark.parametrize("x, reason", [
    (np.full(200, 3.0), "all 20 largest values are equal"),
    (np.zeros(200), "all 20 largest values are equal"),
    (np.r_[np.zeros(100), np.ones(100)], "all 20 largest values are equal"),
    (np.r_[np.zeros(190), np.ones(10)], "the 21 largest values take only 2 distinct values")],
    ids=["constant", "zeros", "two-valued", "two-valued-sparse"])
def test_tied_samples_are_inconclusive_with_a_reason(x, reason):
    r = tail_report(x)
    not_identifiable = f"{reason} (ties): the tail's shape is not identifiable"
    assert r.verdict == "inconclusive" and r.reasons == [not_identifiable] and r.needed_n is None
    estimates = [(r.moment.gamma, r.moment.reason), (r.hill.gamma, r.hill.reason),
                 (r.pickands.gamma, r.pickands.reason), (r.weibull_tail.theta, r.weibull_tail.reason),
                 (r.weibull_tail_reduced_bias.theta, r.weibull_tail_reduced_bias.reason),
                 (r.gpd.xi, r.gpd.reason), (r.powerlaw.alpha, r.powerlaw.reason),
                 *((v.fit.xi, v.fit.reason) for v in r.votes)]
    for value, why in estimates:
        assert math.isnan(value) and why, estimates
    assert "θ̂ = 0 " not in r.summary() and "θ̂ = nan" in r.summary()


def test_needed_sample_size_is_reported_when_open():
    """A Student-t(10) sample of 1,000 does not separate heavy from light; the report says
    how many samples would settle it if the estimates held."""
    r = tail_report(stats.t(10).rvs(size=1000, random_state=2))
    assert r.verdict == "inconclusive"
    assert 1000 < r.needed_n < 1e7
    assert "would settle it" in r.summary()


@pytest.mark.parametrize("bad, match", [(np.arange(10.0), "at least 50"),
                                        (np.r_[np.arange(60.0), np.nan], "finite"),
                                        (np.ones((60, 2)), "one-dimensional")])
def test_report_rejects_bad_samples(bad, match):
    with pytest.raises(ValueError, match=f"`samples`.*{match}|{match}"):
        tail_report(bad)


@pytest.mark.parametrize("k_rule", ["x", None, 3])
def test_report_rejects_bad_options_by_their_name(k_rule):
    x = np.arange(100.0)
    with pytest.raises(ValueError, match="`k_rule` must be one of 'bootstrap', 'sqrt'") as e:
        tail_report(x, k_rule=k_rule)
    assert "`rule`" not in str(e.value)
    with pytest.raises(ValueError, match="`seed`"):
        tail_report(x, k_rule="bootstrap", seed=-1)
    with pytest.raises(TypeError):
        tail_report(x, center="median")  # the origin is no longer an option: the verdict ignores it


# ----- file readers -----------------------------------------------------------------------

@pytest.fixture
def values():
    return np.random.default_rng(0).standard_t(3, size=200)


def test_read_each_format(tmp_path, values):
    np.save(tmp_path / "a.npy", values)
    np.save(tmp_path / "col.npy", values[:, None])
    np.savez(tmp_path / "b.npz", rewards=values, ids=np.arange(values.size))
    np.savez(tmp_path / "one.npz", scores=values)
    (tmp_path / "c.csv").write_text("id,reward\n" + "".join(f"{i},{v:.17g}\n" for i, v in enumerate(values)))
    (tmp_path / "d.tsv").write_text("".join(f"{v:.17g}\t{i}\n" for i, v in enumerate(values)))
    (tmp_path / "e.txt").write_text("# rewards\n\n" + "".join(f"{v:.17g}\n" for v in values))
    cases = [("a.npy", {}), ("col.npy", {}), ("b.npz", {}), ("b.npz", {"key": "rewards"}), ("one.npz", {}),
             ("c.csv", {}), ("c.csv", {"column": "reward"}), ("d.tsv", {"column": "0"}), ("e.txt", {})]
    for name, kwargs in cases:
        loaded = read_samples(tmp_path / name, **kwargs)
        np.testing.assert_array_equal(loaded.values, values, err_msg=name)
        assert loaded.dropped == 0


def test_read_nonfinite_refused_unless_dropped(tmp_path, values):
    x = values.copy()
    x[[3, 7]] = [np.nan, np.inf]
    np.save(tmp_path / "x.npy", x)
    with pytest.raises(ValueError, match="2 of 200 values are NaN or infinite; pass --drop-nonfinite"):
        read_samples(tmp_path / "x.npy")
    loaded = read_samples(tmp_path / "x.npy", drop_nonfinite=True)
    assert loaded.dropped == 2 and loaded.values.size == 198
    (tmp_path / "gap.csv").write_text("id,reward\n1,1.0\n2,\n3,2.0\n")  # an empty cell is missing
    with pytest.raises(ValueError, match="NaN or infinite"):
        read_samples(tmp_path / "gap.csv", column="reward")


@pytest.mark.parametrize("name, content, kwargs, match", [
    ("missing.npy", None, {}, "no such file"),
    ("empty.txt", "", {}, "contains no values"),
    ("comments.txt", "# nothing\n", {}, "contains no values"),
    ("words.txt", "1.0\nabc\n", {}, "line 2: 'abc' is not a number"),
    ("trunc.npy", b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (100,), }",
     {}, "cannot be read|not a readable"),
    ("junk.npz", b"not a zip archive at all", {}, "cannot be read|not a readable"),
    ("two.csv", "a,b\n1,2\n", {}, "choose one with --column"),
    ("two.csv", "a,b\n1,2\n", {"column": "c"}, "no column 'c'; its columns: a, b"),
    ("b.npz", "npz", {"key": "nope"}, "no array 'nope'"),
    ("x.txt", "1\n", {"key": "k"}, "--key applies to .npz"),
    ("x.txt", "1\n", {"column": "c"}, "--column applies to .csv"),
    ("matrix.npy", "matrix", {}, "shape"),
])
def test_read_errors_are_one_clear_line(tmp_path, name, content, kwargs, match):
    path = tmp_path / name
    if content == "npz":
        np.savez(path, a=np.arange(3.0), b=np.arange(3.0))
    elif content == "matrix":
        np.save(path, np.ones((4, 4)))
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(ValueError, match=match) as e:
        read_samples(path, **kwargs)
    assert "\n" not in str(e.value) and str(path.name) in str(e.value)


# ----- the command ------------------------------------------------------------------------

def test_cli_tails_json_and_text(tmp_path, capsys):
    x = stats.pareto(1.5).rvs(size=N, random_state=0)
    np.save(tmp_path / "r.npy", x)
    assert main(["tails", str(tmp_path / "r.npy"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "heavy" and out["n"] == N and out["source"].endswith("r.npy")
    assert main(["tails", str(tmp_path / "r.npy")]) == 0
    assert "verdict: heavy" in capsys.readouterr().out


def test_cli_tails_errors_exit_2(tmp_path, capsys):
    (tmp_path / "bad.npy").write_bytes(b"garbage")
    assert main(["tails", str(tmp_path / "bad.npy")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("catgoodhart tails: error:") and err.count("\n") == 1
    (tmp_path / "short.txt").write_text("1\n2\n3\n")
    assert main(["tails", str(tmp_path / "short.txt")]) == 2
    assert "at least 50" in capsys.readouterr().err


def test_cli_tails_drop_nonfinite(tmp_path, capsys):
    x = stats.norm().rvs(size=500, random_state=0)
    x[0] = math.nan
    np.save(tmp_path / "n.npy", x)
    assert main(["tails", str(tmp_path / "n.npy")]) == 2
    assert "--drop-nonfinite" in capsys.readouterr().err
    assert main(["tails", str(tmp_path / "n.npy"), "--drop-nonfinite", "--json"]) == 0
    captured = capsys.readouterr()
    assert "dropped 1 NaN or infinite values" in captured.err
    assert json.loads(captured.out)["dropped"] == 1


def test_cli_tails_plot(tmp_path, capsys):
    np.save(tmp_path / "r.npy", stats.t(3).rvs(size=2000, random_state=0))
    out = tmp_path / "diag.png"
    assert main(["tails", str(tmp_path / "r.npy"), "--plot", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["tails", str(tmp_path / "r.npy"), "--plot", str(tmp_path / "diag.xyz")]) == 2
    assert "`path`" in capsys.readouterr().err and not (tmp_path / "diag.xyz").exists()


def test_calibration_table_small_run(tmp_path):
    from catgoodhart.tails import calibrate

    out = tmp_path / "cal.md"
    assert calibrate.main(["--seeds", "2", "--sizes", "200", "--no-dask", "--quiet", "--table",
                           str(out)]) == 0
    text = out.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == len(calibrate.LAWS) * len(calibrate.TRANSFORMS)
    expected = [(name, label) for name, *_ in calibrate.LAWS for label, _ in calibrate.TRANSFORMS]
    for row, (name, label) in zip(rows, expected, strict=True):
        cells = [c.strip().strip("*") for c in row.strip("|").split("|")]
        assert (cells[0], cells[2], cells[3]) == (name, "200", label)
        fractions = [float(c.rstrip("%")) for c in cells[4:7]]
        assert sum(fractions) == pytest.approx(100.0, abs=1.0)  # each row: 2 verdicts, rounded
    assert "agreed for 100% of the" in text


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=-1e300, max_value=1e300, allow_nan=False), min_size=50, max_size=300))
def test_report_never_crashes_on_finite_input(values):
    r = tail_report(np.array(values))
    assert r.verdict in VERDICTS and r.reasons
    for estimate in (r.moment, r.hill, r.pickands, r.weibull_tail, r.weibull_tail_reduced_bias):
        fields = [estimate.ci_low, estimate.ci_high]
        assert all(math.isfinite(v) for v in fields) or estimate.reason  # a number or why not
