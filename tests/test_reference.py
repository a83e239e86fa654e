"""partial_mean_upper, cgf and logsf against independent 50-digit mpmath references.

The references in ``tests/reference/values.json`` are made by
``tests/reference/make_reference.py`` (quadrature of the textbook densities in mpmath,
cross-checked there against textbook closed forms); see that script's docstring. Each
stored value has 30 significant digits, so the reference itself contributes nothing at
the tolerances below.
"""

import json
import math
from pathlib import Path

import mpmath
import pytest

from catgoodhart import distributions as D
from conftest import load_reference_script

REFERENCE_DIR = Path(__file__).parent / "reference"
DATA = json.loads((REFERENCE_DIR / "values.json").read_text())
RECORDS = DATA["records"]

# Closed forms: a double-precision formula of a few dozen correctly rounded operations
# (scipy's ndtr/log_ndtr, gammaincc, betainc, hyp2f1, exp1 are accurate to a few ulp)
# has a relative error of ~1e-14. What the input's rounding to a double adds is
# cond · 2^-53, where cond = |a · v'(a) / v(a)|; make_reference.py refuses any record with
# cond > 4000, i.e. that adds at most 4.4e-13. 1e-12 covers both.
CLOSED_FORM_RTOL = 1e-12
# Quadrature (the package's log-space scipy.quad at epsrel 1e-13, for cgf without a closed
# form): the integral is good to ~1e-13 relative, so K = log E[e^{sX}] is good to ~1e-13
# absolute, i.e. ~2e-10 relative for the smallest |K| here (~5e-4, at s = -1e-3). 1e-9
# leaves a factor of 5 over that; no reference in this set is closer to 0 than that.
QUADRATURE_RTOL = 1e-9
#: laws whose cgf the package computes by quadrature (for s < 0; cgf(s > 0) is inf)
_CGF_BY_QUADRATURE = {"Pareto", "LogNormal", "Frechet", "BurrXII", "GPD"}


def _uses_quadrature(rec):
    if rec["method"] != "cgf":
        return False  # every partial_mean_upper and logsf of the 14 classes is closed form
    if rec["dist"] == "Weibull":
        return rec["params"]["shape"] != 1.0
    return rec["dist"] in _CGF_BY_QUADRATURE


def _tolerance(rec):
    return QUADRATURE_RTOL if _uses_quadrature(rec) else CLOSED_FORM_RTOL


def _records(method):
    return pytest.mark.parametrize(
        "rec", [r for r in RECORDS if r["method"] == method], ids=lambda r: r["id"])


def _check(rec):
    dist = getattr(D, rec["dist"])(**rec["params"])
    got = getattr(dist, rec["method"])(rec["arg"])
    assert isinstance(got, float), f"{rec['id']}: expected a float, got {type(got)}"
    if rec["value"] == "inf":  # divergent integral: exactly +inf, not a huge number or nan
        assert got == math.inf, f"{rec['id']}: package {got!r}, reference inf"
        return
    ref = mpmath.mpf(rec["value"])
    if ref == 0:
        # exact zeros (E[X; X > t] above a bounded support, log F̄ = log 1 below the
        # support): absolute tolerance 0, the package must return exactly 0
        assert got == 0.0, f"{rec['id']}: package {got!r}, reference 0"
        return
    assert math.isfinite(got), f"{rec['id']}: package {got!r}, reference {rec['value']}"
    rel = float(abs(mpmath.mpf(got) - ref) / abs(ref))
    tol = _tolerance(rec)
    assert rel <= tol, (f"{rec['id']}: package {got!r}, reference {rec['value']}, "
                        f"relative error {rel:.3g} > {tol:g}")


@_records("partial_mean_upper")
def test_partial_mean_upper(rec):
    _check(rec)


@_records("cgf")
def test_cgf(rec):
    _check(rec)


@_records("logsf")
def test_logsf(rec):
    _check(rec)


def test_reference_set_is_broad():
    """Every family appears, with an ``inf`` and a far-tail record where it has one."""
    names = {r["dist"] for r in RECORDS}
    assert names == {"Normal", "Exponential", "Gumbel", "Laplace", "Uniform", "Weibull",
                     "StudentT", "Pareto", "LogNormal", "Levy", "Frechet", "BurrXII", "GPD",
                     "Cauchy"}
    by_method = {m: [r for r in RECORDS if r["method"] == m]
                 for m in ("partial_mean_upper", "cgf", "logsf")}
    assert all(len(v) >= 40 for v in by_method.values())
    inf_pm = {r["dist"] for r in by_method["partial_mean_upper"] if r["value"] == "inf"}
    assert {"Levy", "Cauchy", "StudentT", "Pareto"} <= inf_pm
    tiny = [r for r in by_method["partial_mean_upper"]
            if r["value"] not in ("inf", "0") and mpmath.mpf(r["value"]) < mpmath.mpf("1e-200")]
    assert len(tiny) >= 5
    underflowing_sf = [r for r in by_method["logsf"] if float(r["value"]) < -745]
    assert len(underflowing_sf) >= 10


# ----- the JSON is current ---------------------------------------------------------------
@pytest.fixture(scope="module")
def script():
    return load_reference_script("make_reference")


def test_json_lists_exactly_the_scripts_cases(script):
    """A case added to, removed from or changed in the script without rerunning it."""
    expected = [script.record_id(*case) for case in script.CASES]
    assert [r["id"] for r in RECORDS] == expected
    for rec, (name, params, method, arg) in zip(RECORDS, script.CASES, strict=True):
        assert (rec["dist"], rec["params"], rec["method"], rec["arg"]) == \
            (name, params, method, arg)
    assert DATA["dps"] == script.DPS


#: fast records (well under a second each) recomputed live from the script
LIVE = [
    "Exponential(rate=3,loc=2).partial_mean_upper(190)",
    "Laplace(mu=-1,b=0.5).cgf(1.9)",
    "StudentT(nu=3).logsf(1e+200)",
    "Pareto(alpha=1).partial_mean_upper(1e+08)",
]


@pytest.mark.parametrize("record_id", LIVE)
def test_live_recomputation_matches_json(script, record_id):
    """The stored values are what the script computes now (stale JSON is caught)."""
    stored = next(r for r in RECORDS if r["id"] == record_id)
    with mpmath.workdps(mpmath.mp.dps):
        fresh = script.compute_record(stored["dist"], stored["params"], stored["method"],
                                      stored["arg"])
    assert fresh["id"] == record_id
    if stored["value"] == "inf":
        assert fresh["value"] == "inf"
        return
    # 30 stored digits: allow a unit in the 26th digit for another mpmath version
    a, b = mpmath.mpf(fresh["value"]), mpmath.mpf(stored["value"])
    assert abs(a - b) <= mpmath.mpf("1e-25") * abs(b), (fresh["value"], stored["value"])
