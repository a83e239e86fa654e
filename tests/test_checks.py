"""Theorems 5 and 6, ``run_checks`` and ``catgoodhart check``; the paper's best-of-n grid."""

import json
import math

import numpy as np
import pytest
from scipy import special

from catgoodhart import distributions as D
from catgoodhart.bon import best_of_n_monte_carlo, paper_bon_grid, paper_errors, paper_utilities
from catgoodhart.cli import main
from catgoodhart.theorems import NO_CLAIM, Outcome, check_theorem5, check_theorem6, run_checks

HEAVY_X = [D.StudentT(nu=3), D.LogNormal(sigma=1.0), D.Pareto(alpha=2.5), D.Weibull(shape=0.5)]


@pytest.mark.parametrize("X", HEAVY_X, ids=repr)
def test_theorem5_heavy_error_gives_back_the_mean_utility(X):
    r = check_theorem5(X, D.Normal(mu=1.0))
    assert r.outcome is Outcome.HOLDS and r.hypotheses_met and r.behaviour == "-> E[V]"
    assert r.hypotheses["X subexponential"] is True
    assert abs(r.hypotheses["P(X1+X2>=t)/P(X>=t) (-> 2)"] - 2.0) < 0.01
    assert abs(r.conditional_utility[-1] - 1.0) < 1e-2


def test_theorem5_regularly_varying_rate():
    """For X regularly varying with index α and V light, E[V | U >= t] - E[V] ≈ α Var(V)/t."""
    t = np.geomspace(1e2, 1e6, 5)
    r = check_theorem5(D.StudentT(nu=3), D.Normal(sigma=0.5), t)
    gap = r.conditional_utility - r.mean_utility
    np.testing.assert_allclose(gap * t / (3 * 0.25), 1.0, rtol=0.05)


def test_theorem6_light_error_grows_like_the_gaussian_regression():
    t = np.geomspace(1.0, 1e5, 9)
    r = check_theorem6(D.Normal(), D.Normal(sigma=2.0), t)
    assert r.outcome is Outcome.HOLDS and r.hypotheses_met and r.behaviour == "-> inf"
    su = math.sqrt(5.0)
    z = t / su
    mills = math.sqrt(2 / math.pi) / special.erfcx(z / math.sqrt(2))  # φ/Φ̄ without cancellation
    np.testing.assert_allclose(r.conditional_utility, 4.0 / su * mills, rtol=1e-10)


def test_theorem5_and_6_are_each_others_contrast():
    """Outside its hypotheses a theorem claims nothing; the row reports the companion's prediction."""
    light = check_theorem5(D.Normal(), D.Normal())
    assert light.outcome is Outcome.DOES_NOT_APPLY and not light.hypotheses_met
    assert light.expected == NO_CLAIM and light.behaviour == "-> inf"
    assert "Theorem 6, whose hypotheses are met, predicts -> inf" in light.explanation
    heavy = check_theorem6(D.StudentT(nu=3), D.Normal())
    assert heavy.outcome is Outcome.DOES_NOT_APPLY and not heavy.hypotheses_met
    assert heavy.expected == NO_CLAIM and heavy.behaviour == "-> E[V]"
    assert "Theorem 5, whose hypotheses are met, predicts -> E[V]" in heavy.explanation
    assert heavy.hypotheses["F̄_X(t+1)/F̄_X(t) (-> 0)"] > 0.99


def test_exponential_error_is_bounded_and_claims_nothing():
    """F̄(t+1)/F̄(t) = e^{-rate}: neither theorem applies; E[V | U >= t] -> rate·Var(V)."""
    for check in (check_theorem5, check_theorem6):
        r = check(D.Exponential(rate=1.0), D.Normal())
        assert r.outcome is Outcome.DOES_NOT_APPLY and r.expected == NO_CLAIM and not r.hypotheses_met
        assert "whose hypotheses are met" not in r.explanation
        assert r.behaviour == "bounded above E[V]"
        assert abs(r.conditional_utility[-1] - 1.0) < 1e-6


def test_theorem5_fails_on_a_grid_that_stops_short_of_the_limit():
    """Hypotheses met on the grid, but E[V | U >= 50] - E[V] ≈ 3·0.25/50 = 0.015 is above 1 % of
    V's interquartile range (0.0067): the limit is not shown, and the check says so."""
    r = check_theorem5(D.StudentT(nu=3), D.Normal(sigma=0.5), np.geomspace(5.0, 50.0, 8))
    assert r.hypotheses_met and r.outcome is Outcome.FAILS and r.behaviour == "unclear"
    assert "does not show the predicted limit -> E[V]" in r.explanation


def test_theorem6_fails_on_a_grid_that_stops_short():
    """E[V | U >= t] ≈ t/2 = 10 at t = 20: rising, but not yet 10 interquartile ranges (13.5)."""
    r = check_theorem6(D.Normal(), D.Normal(), np.geomspace(4.0, 20.0, 8))
    assert r.hypotheses_met and r.outcome is Outcome.FAILS and r.behaviour == "unclear"


@pytest.mark.parametrize("check", [check_theorem5, check_theorem6])
def test_conditioning_checks_fail_on_wrong_numbers(check, monkeypatch):
    """A conditional utility that goes nowhere matches neither prediction."""
    import catgoodhart.conditioning as C

    monkeypatch.setattr(C, "conditional_utility", lambda X, V, t: np.linspace(0.5, 2.0, np.size(t)))
    X = D.StudentT(nu=3) if check is check_theorem5 else D.Normal()
    r = check(X, D.Normal())
    assert r.hypotheses_met and r.outcome is Outcome.FAILS


@pytest.mark.parametrize("bad", [dict(p=1.0), dict(p=0.5), dict(t=[1.0, 2.0]), dict(t=[1, 2, 3, np.inf])])
def test_conditioning_checks_reject_bad_input(bad):
    with pytest.raises(ValueError, match="`p`|`t`"):
        check_theorem5(D.StudentT(nu=3), D.Normal(), **bad)


@pytest.fixture(scope="module")
def fast_rows():
    return run_checks(fast=True)


def test_run_checks_covers_every_theorem_inside_and_outside_its_hypotheses(fast_rows):
    assert [r.theorem for r in fast_rows] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]
    assert not [r.explanation for r in fast_rows if r.outcome is Outcome.FAILS]
    for n in range(1, 7):
        rows = [r for r in fast_rows if r.theorem == n]
        assert [r.outcome for r in rows].count(Outcome.HOLDS) == 1, n
        assert [r.outcome for r in rows].count(Outcome.DOES_NOT_APPLY) == 1, n
        for r in rows:
            assert r.hypotheses_met is (r.outcome is Outcome.HOLDS)
            assert (r.expected == NO_CLAIM) is (r.outcome is Outcome.DOES_NOT_APPLY)


def test_run_checks_numbering_follows_the_paper(fast_rows):
    """Theorem 2 is the light-tailed KL bound, Theorem 3 the token-tree result."""
    assert {r.setup for r in fast_rows if r.theorem == 2} == {"Normal(mu=0, sigma=1)", "StudentT(nu=3)"}
    assert all(r.setup.startswith("token tree") for r in fast_rows if r.theorem == 3)


def test_run_checks_selects_and_validates():
    rows = run_checks([5], fast=True)
    assert {r.theorem for r in rows} == {5}
    with pytest.raises(ValueError, match="`theorems`"):
        run_checks([7])


def test_cli_check_json(capsys):
    assert main(["check", "--theorem", "5", "--theorem", "6", "--json", "--fast"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 4
    for row in rows:
        assert {"theorem", "case", "outcome", "values", "explanation"} <= set(row)
        assert "passed" not in row
    assert sorted(row["outcome"] for row in rows) == ["does not apply", "does not apply", "holds", "holds"]


def test_cli_check_table_and_exit_code(capsys, monkeypatch):
    """Exit code 0 unless a row fails; a "does not apply" row is shown as such, not as a pass."""
    monkeypatch.setenv("COLUMNS", "200")  # one line per outcome word
    assert main(["check", "--theorem", "2", "--fast"]) == 0
    out = capsys.readouterr().out
    assert "holds" in out and "does not apply" in out and "fails" not in out
    assert "1 hold, 0 fail, 1 do not apply" in " ".join(out.split())
    import catgoodhart.theorems as T

    real = T.run_checks

    def one_failing(theorems=None, *, fast=False):
        rows = real(theorems, fast=fast)
        return [rows[0].__class__(**{**rows[0].__dict__, "outcome": T.Outcome.FAILS}), *rows[1:]]

    monkeypatch.setattr(T, "run_checks", one_failing)
    assert main(["check", "--theorem", "2", "--fast"]) == 1
    assert "fails" in capsys.readouterr().out


def test_cli_check_rejects_unknown_theorem(capsys):
    with pytest.raises(SystemExit) as e:
        main(["check", "--theorem", "7"])
    assert e.value.code == 2


def test_paper_grid_setup_matches_the_paper():
    """Utilities have standard deviation 2, errors 1 (Lévy: infinite variance)."""
    for V in paper_utilities().values():
        assert math.isclose(math.sqrt(V.var), 2.0, rel_tol=1e-14)
    sds = {name: math.sqrt(X.var) for name, X in paper_errors().items()}
    assert math.isinf(sds.pop("Lévy"))
    np.testing.assert_allclose(list(sds.values()), 1.0, rtol=2e-3)  # LogNormal(0, log 2): 0.998


def test_paper_grid_small_exact_against_monte_carlo():
    g = paper_bon_grid(n=[1, 4, 32], trials=4000, seed=1)
    assert g.mean_utility.shape == (2, 5, 3)
    z = (g.mc_mean_utility - g.mean_utility) / g.mc_standard_error
    assert np.all(np.abs(z) < 4.5), z  # 30 points: P(any |z| > 4.5) < 2e-4
    assert np.all(np.isinf(g.mean_proxy[:, 4])) and len(g.notes) == 2  # Lévy: E[U] = ∞
    np.testing.assert_array_equal(g.mean_utility[:, :, 0], 0.0)  # n = 1: E[V] = 0


def test_best_of_n_monte_carlo_is_seeded():
    a = best_of_n_monte_carlo(D.Normal(), D.Normal(), 8, trials=100, seed=3)
    b = best_of_n_monte_carlo(D.Normal(), D.Normal(), 8, trials=100, seed=3)
    assert a == b
