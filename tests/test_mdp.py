"""Token-tree MDPs against an independent exact reference.

Reference: the float arrays are converted to ``fractions.Fraction`` exactly; node masses,
the policy π(a|s) = ρ(s·a)/ρ(s) and path products are then computed in rational arithmetic
(so Tr(π) = ρ holds exactly there), and KL sums in mpmath at 50 digits. The package computes
the policy through likelihood ratios instead, so the two share no code path.

Tolerances: a leaf probability of Tr(π) is a product of T edge probabilities, each the
result of one multiplication and one division of ratios that are themselves sums over a
subtree; the rounding is at most a few (T + 2) ulps, so 64 (T + 2) ε (< 1e-13 for T <= 6)
bounds it with room. KL sums add ~1e3 terms with relative rounding of a few ε each, far
below the 1e-12 relative used for them.
"""

import math
import subprocess
import sys
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catgoodhart import distributions as D
from catgoodhart import mdp
from catgoodhart.theorems import Outcome, check_theorem3
from catgoodhart.tilting import sup_mean_under_kl, tilt

EPS = np.finfo(float).eps
DPS = 50


def _tol(depth):
    return 64 * (depth + 2) * EPS


# ----- independent exact reference ------------------------------------------------------
def _offset(k, d):
    return (k**d - k) // (k - 1)


def _fractions(values):
    return [Fraction(float(x)) for x in values]


def _exact_leaves(k, depth, edges):
    """Leaf probabilities: products of the edge probabilities along each path."""
    cur = [Fraction(1)]
    for d in range(1, depth + 1):
        off = _offset(k, d)
        cur = [cur[c // k] * edges[off + c] for c in range(k**d)]
    return cur


def _exact_nodes(k, depth, edges):
    """Path probabilities of every node, one list per depth 0..T."""
    levels = [[Fraction(1)]]
    for d in range(1, depth + 1):
        off = _offset(k, d)
        levels.append([levels[-1][c // k] * edges[off + c] for c in range(k**d)])
    return levels


def _exact_policy(k, depth, base, rho):
    """π(a|s) = ρ(s·a)/ρ(s) with node masses summed bottom-up; π0's row where ρ(s) = 0."""
    masses = {depth: rho}
    for d in range(depth - 1, -1, -1):
        child = masses[d + 1]
        masses[d] = [sum(child[j * k:(j + 1) * k], Fraction(0)) for j in range(k**d)]
    policy = [None] * len(base)
    for d in range(1, depth + 1):
        off = _offset(k, d)
        for c in range(k**d):
            parent = masses[d - 1][c // k]
            policy[off + c] = masses[d][c] / parent if parent else base[off + c]
    return policy


def _mpf(x):
    return mp.mpf(x.numerator) / x.denominator


def _mp_state_kl(k, depth, policy, base):
    """Σ_{internal s} P_π(s) Σ_a π log(π/π0), at 50 digits."""
    with mp.workdps(DPS):
        levels = _exact_nodes(k, depth, policy)
        total = mp.mpf(0)
        for d in range(depth):
            off = _offset(k, d + 1)
            for j, prob in enumerate(levels[d]):
                if prob == 0:
                    continue
                for a in range(k):
                    pi, pi0 = policy[off + j * k + a], base[off + j * k + a]
                    if pi > 0:
                        total += _mpf(prob * pi) * mp.log(_mpf(pi) / _mpf(pi0))
        return total


def _mp_leaf_kl(rho, rho0):
    with mp.workdps(DPS):
        return mp.fsum(_mpf(r) * mp.log(_mpf(r) / _mpf(r0)) for r, r0 in zip(rho, rho0, strict=True)
                       if r > 0)


def _rel(value, exact):
    """|value - exact| / |exact| in exact arithmetic (0 when both are 0)."""
    exact = Fraction(exact)
    diff = abs(Fraction(float(value)) - exact)
    return 0.0 if diff == 0 else float(diff / abs(exact))


def _random_rho(tree, rng, zero_fraction=0.0):
    """A leaf distribution absolutely continuous w.r.t. Tr(π0), some leaves set to 0."""
    rho0 = mdp.trajectory_distribution(tree)
    w = rng.gamma(0.7, size=tree.leaves) * (rho0 > 0)
    w[rng.random(tree.leaves) < zero_fraction] = 0.0
    if w.sum() == 0:
        w[np.argmax(rho0)] = 1.0
    return w / w.sum()


SHAPES = [(2, 1), (2, 6), (3, 3), (4, 2), (5, 3), (7, 2)]


# ----- exact identities -----------------------------------------------------------------
@pytest.mark.parametrize(("k", "depth"), SHAPES)
@pytest.mark.parametrize("concentration", [0.3, 1.0, 5.0])
def test_policy_reproduces_rho_exactly(k, depth, concentration):
    seed = 1000 * k + 10 * depth + int(10 * concentration)
    tree = mdp.token_tree(k, depth, returns=D.Normal(), base_policy="dirichlet",
                          concentration=concentration, seed=seed)
    rho = _random_rho(tree, np.random.default_rng(seed), zero_fraction=0.2)
    policy = mdp.policy_from_trajectories(tree, rho)

    base = _fractions(tree.base_policy)
    rho_q = _fractions(rho)
    total = sum(rho_q)
    rho_q = [x / total for x in rho_q]
    exact = _exact_policy(k, depth, base, rho_q)
    assert _exact_leaves(k, depth, exact) == rho_q  # the proof's identity, in rationals
    tol = _tol(depth)
    assert max(_rel(p, q) for p, q in zip(policy, exact, strict=True) if q) <= tol
    tr = mdp.trajectory_distribution(tree, policy)
    assert max(_rel(x, q) for x, q in zip(tr, rho_q, strict=True) if q) <= tol
    assert all(x == 0 for x, q in zip(tr, rho_q, strict=True) if q == 0)
    # each row of the built policy sums to 1 to rounding
    assert np.allclose(policy.reshape(-1, k).sum(axis=1), 1.0, rtol=0, atol=8 * k * EPS)


@pytest.mark.parametrize(("k", "depth"), SHAPES)
def test_chain_rule_against_mpmath(k, depth):
    seed = 77 * k + depth
    tree = mdp.token_tree(k, depth, returns=D.Normal(), base_policy="dirichlet", seed=seed)
    rho = _random_rho(tree, np.random.default_rng(seed), zero_fraction=0.1)
    policy = mdp.policy_from_trajectories(tree, rho)
    base = _fractions(tree.base_policy)
    rho_q = _fractions(rho)
    total = sum(rho_q)
    rho_q = [x / total for x in rho_q]
    exact_policy = _exact_policy(k, depth, base, rho_q)
    rho0_q = _exact_leaves(k, depth, base)
    states = _mp_state_kl(k, depth, exact_policy, base)
    leaves = _mp_leaf_kl(rho_q, rho0_q)
    with mp.workdps(DPS):
        assert abs(states - leaves) <= mp.mpf(10) ** (5 - DPS) * (1 + abs(leaves))  # chain rule
    ref = float(leaves)
    assert mdp.trajectory_kl(tree, rho) == pytest.approx(ref, rel=1e-12)
    assert mdp.expected_state_kl(tree, policy) == pytest.approx(ref, rel=1e-12)
    # π0 itself: rows renormalized again move by an ulp, which costs KL ~ ε² only
    assert mdp.expected_state_kl(tree, tree.base_policy) == pytest.approx(0.0, abs=1e-28)
    assert mdp.trajectory_kl(tree, mdp.trajectory_distribution(tree)) == pytest.approx(0.0, abs=1e-15)


def test_policy_with_zero_base_probabilities():
    k, depth = 3, 3
    base = np.full(_offset(k, depth + 1), 1.0 / k)
    base[0:3] = [0.5, 0.5, 0.0]  # the root never plays token 2
    base[3:6] = [0.0, 0.25, 0.75]
    tree = mdp.token_tree(k, depth, returns=np.arange(27.0), base_policy=base)
    rho0 = mdp.trajectory_distribution(tree)
    assert rho0[18:].sum() == 0 and rho0[:3].sum() == 0
    rho = _random_rho(tree, np.random.default_rng(5))
    policy = mdp.policy_from_trajectories(tree, rho)
    np.testing.assert_allclose(mdp.trajectory_distribution(tree, policy), rho, rtol=_tol(depth), atol=0)
    assert mdp.expected_state_kl(tree, policy) == pytest.approx(mdp.trajectory_kl(tree, rho), rel=1e-12)
    bad = rho.copy()
    bad[20] = 0.1
    with pytest.raises(ValueError, match="`rho` must be absolutely continuous"):
        mdp.policy_from_trajectories(tree, bad / bad.sum())
    assert mdp.trajectory_kl(tree, bad / bad.sum()) == math.inf
    moved = base.copy()
    moved[0:3] = [0.4, 0.4, 0.2]  # plays an action π0 never plays
    assert mdp.expected_state_kl(tree, moved) == math.inf


@settings(max_examples=60, deadline=None)
@given(k=st.integers(2, 4), depth=st.integers(1, 4), data=st.data())
def test_chain_rule_property(k, depth, data):
    n_edges = _offset(k, depth + 1)
    prob = st.one_of(st.just(0.0), st.floats(1e-6, 1.0))
    raw = np.array(data.draw(st.lists(prob, min_size=n_edges, max_size=n_edges)))
    rows = raw.reshape(-1, k)
    rows[rows.sum(axis=1) == 0, 0] = 1.0
    base = (rows / rows.sum(axis=1, keepdims=True)).ravel()
    tree = mdp.token_tree(k, depth, returns=np.zeros(k**depth), base_policy=base)
    rho0 = mdp.trajectory_distribution(tree)
    w = np.array(data.draw(st.lists(prob, min_size=k**depth, max_size=k**depth))) * (rho0 > 0)
    if w.sum() == 0:
        w = rho0.copy()
    rho = w / w.sum()
    policy = mdp.policy_from_trajectories(tree, rho)
    np.testing.assert_allclose(mdp.trajectory_distribution(tree, policy), rho, rtol=_tol(depth), atol=0)
    kl = mdp.trajectory_kl(tree, rho)
    assert kl >= 0
    # generalized-KL terms are each >= 0, so the sums carry a relative error of a few ε
    assert mdp.expected_state_kl(tree, policy) == pytest.approx(kl, rel=1e-12, abs=1e-15)


# ----- soft-optimal policy --------------------------------------------------------------
def _mp_tilt(returns, rho0, beta):
    """(value β K, mean, KL) of ρ* = ρ0 e^{r/β - K}, at 50 digits."""
    with mp.workdps(DPS):
        b = mp.mpf(beta)
        r = [mp.mpf(float(x)) for x in returns]
        q = [mp.mpf(float(x)) for x in rho0]
        total = mp.fsum(q)
        q = [qi / total for qi in q]  # ρ0 sums to 1 only to rounding, which β K would scale by β
        top = max(r)
        z = mp.fsum(qi * mp.exp((ri - top) / b) for qi, ri in zip(q, r, strict=True))
        K = top / b + mp.log(z)
        star = [qi * mp.exp(ri / b - K) for qi, ri in zip(q, r, strict=True)]
        mean = mp.fsum(s * ri for s, ri in zip(star, r, strict=True))
        kl = mp.fsum(s * (ri / b - K) for s, ri in zip(star, r, strict=True))
        return b * K, mean, kl


@pytest.fixture(scope="module")
def small_tree():
    return mdp.token_tree(3, 5, returns=D.Normal(mu=0.5), base_policy="dirichlet", seed=11)


@pytest.mark.parametrize("beta", [1e-3, 1e-2, 0.1, 1.0, 10.0, 1e3])
def test_soft_policy_equals_tilt(small_tree, beta):
    tree = small_tree
    rho0 = mdp.trajectory_distribution(tree)
    soft = mdp.soft_optimal_policy(tree, beta)
    ref = tilt((tree.returns, rho0), beta=beta)
    # both are exact to a few ulps of their log-sum-exp; 1e-12 relative leaves room
    assert soft.value == pytest.approx(ref.objective, rel=1e-12)
    assert soft.mean_return == pytest.approx(ref.mean_reward, rel=1e-12)
    assert soft.kl == pytest.approx(ref.kl, rel=1e-12)
    # Tr(π*) is the tilt, and its KL is the expected per-state KL of π*; recomputed from the
    # stored π*, whose rounding (ε relative) moves log(π*/π0) by ε, i.e. KL by ~ε/|log(π*/π0)|
    rho_star = mdp.trajectory_distribution(tree, soft.policy)
    assert mdp.mean_return(tree, rho_star) == pytest.approx(soft.mean_return, rel=1e-12)
    assert mdp.expected_state_kl(tree, soft.policy) == pytest.approx(soft.kl, rel=1e-12)


@pytest.mark.parametrize("beta", [1e-4, 1e-2, 1.0, 1e3, 1e6])
def test_soft_policy_against_mpmath(small_tree, beta):
    tree = small_tree
    value, mean, kl = _mp_tilt(tree.returns, mdp.trajectory_distribution(tree), beta)
    soft = mdp.soft_optimal_policy(tree, beta)
    # the recursion keeps every quantity to a few ulps (log1p/expm1 about the largest child,
    # per-state KL from terms γ(d) >= 0 by series), also where KL ~ 1e-13 (β = 1e6)
    assert soft.value == pytest.approx(float(value), rel=1e-13)
    assert soft.mean_return == pytest.approx(float(mean), rel=1e-13)
    assert soft.kl == pytest.approx(float(kl), rel=1e-13)


def test_soft_policy_limits(small_tree):
    tree = small_tree
    rho0 = mdp.trajectory_distribution(tree)
    base = mdp.soft_optimal_policy(tree, math.inf)
    np.testing.assert_array_equal(base.policy, tree.base_policy)
    assert base.kl == 0.0 and base.mean_return == pytest.approx(float(np.dot(rho0, tree.returns)))
    greedy = mdp.soft_optimal_policy(tree, 1e-9)
    top = int(np.argmax(tree.returns))
    assert greedy.mean_return == pytest.approx(tree.returns[top], rel=1e-12)
    assert greedy.kl == pytest.approx(-math.log(rho0[top]), rel=1e-12)


@pytest.mark.parametrize("beta", [0.05, 1.0, 20.0])
def test_soft_policy_beats_perturbations(small_tree, beta):
    tree = small_tree
    soft = mdp.soft_optimal_policy(tree, beta)

    def objective(policy):
        rho = mdp.trajectory_distribution(tree, policy)
        return mdp.mean_return(tree, rho) - beta * mdp.expected_state_kl(tree, policy)

    best = objective(soft.policy)
    assert best == pytest.approx(soft.value, rel=1e-12)
    rng = np.random.default_rng(3)
    candidates = [tree.base_policy, mdp.policy_from_trajectories(tree, mdp.reweight_trajectories(
        tree, float(np.quantile(tree.returns, 0.9)), 0.5))]
    for scale in (1e-3, 1e-2, 0.3):
        for _ in range(10):
            rows = (soft.policy * np.exp(scale * rng.standard_normal(soft.policy.size))).reshape(-1, tree.k)
            candidates.append((rows / rows.sum(axis=1, keepdims=True)).ravel())
    for policy in candidates:
        # objectives are O(1) and exact to ~1e-14; the optimum may only tie to rounding
        assert objective(policy) <= best + 1e-13


# ----- the Theorem 1 reweighting --------------------------------------------------------
@pytest.mark.parametrize(("t", "p"), [(0.0, 0.5), (1.0, 0.01), (1.5, 0.9), (-1.0, 0.3)])
def test_reweight_closed_forms(t, p):
    tree = mdp.token_tree(2, 10, returns=D.Normal(), base_policy="dirichlet", seed=4)
    rho0 = mdp.trajectory_distribution(tree)
    r = tree.returns
    below = r <= t
    F, Fbar = math.fsum(rho0[below]), math.fsum(rho0[~below])
    # under a Dirichlet π0 the masses are not leaf counts: F is a ρ0 mass
    assert abs(F - below.mean()) > 1e-3
    rho = mdp.reweight_trajectories(tree, t, p)
    assert math.fsum(rho[~below]) == pytest.approx(p, rel=1e-14)
    lower = math.fsum(rho0[below] * r[below]) / F
    upper = math.fsum(rho0[~below] * r[~below]) / Fbar
    assert mdp.mean_return(tree, rho) == pytest.approx((1 - p) * lower + p * upper, rel=1e-13, abs=1e-15)
    kl = (1 - p) * math.log((1 - p) / F) + p * math.log(p / Fbar)
    assert mdp.trajectory_kl(tree, rho) == pytest.approx(kl, rel=1e-12)
    # ratio to ρ0 is constant on each side: ρ_t is uniform given the return
    ratio = rho[rho0 > 0] / rho0[rho0 > 0]
    side = below[rho0 > 0]
    assert np.ptp(ratio[side]) <= 4 * EPS * ratio[side].max()
    assert np.ptp(ratio[~side]) <= 4 * EPS * ratio[~side].max()


# ----- Theorem 3 checker ----------------------------------------------------------------
@pytest.fixture(scope="module")
def heavy_check():
    return check_theorem3(D.StudentT(nu=1.5))


def test_theorem3_heavy_default_holds(heavy_check):
    r = heavy_check
    assert r.outcome is Outcome.HOLDS and r.heavy_tailed, r.explanation
    assert (r.k, r.depth, r.leaves, r.M, r.eps) == (2, 20, 2**20, 10.0, 0.05)
    assert r.witness_mean > r.M and r.witness_kl < r.eps
    assert r.tr_error < 1e-12 and r.kl_error < 1e-10
    assert r.max_return > 100 * r.M
    assert r.construction_mean <= r.ceiling * (1 + 1e-12)
    assert "bounded" in r.explanation
    # recompute the witness independently on the same tree
    tree = mdp.token_tree(2, 20, returns=D.StudentT(nu=1.5), seed=0)
    assert tree.returns.max() == r.max_return
    rho0 = mdp.trajectory_distribution(tree)
    above = tree.returns > r.witness_t
    F, Fbar = math.fsum(rho0[~above]), math.fsum(rho0[above])
    rho = mdp.reweight_trajectories(tree, r.witness_t, r.witness_p)
    policy = mdp.policy_from_trajectories(tree, rho)
    tr = mdp.trajectory_distribution(tree, policy)
    assert np.max(np.abs(tr - rho) / rho) < 1e-12
    p = r.witness_p
    kl = (1 - p) * math.log((1 - p) / F) + p * math.log(p / Fbar)
    assert r.witness_kl == pytest.approx(kl, rel=1e-10)
    assert r.witness_mean == pytest.approx(mdp.mean_return(tree, tr), rel=1e-12)
    assert r.witness_mean == pytest.approx(math.fsum(rho * tree.returns), rel=1e-10)
    # the ceiling is attained by the soft-optimal policy at that β
    soft = mdp.soft_optimal_policy(tree, r.ceiling_beta)
    assert soft.kl == pytest.approx(r.eps, rel=1e-10)
    assert soft.mean_return == pytest.approx(r.ceiling, rel=1e-10)


def test_theorem3_light_default_does_not_apply():
    r = check_theorem3(D.Normal())
    assert r.outcome is Outcome.DOES_NOT_APPLY and not r.heavy_tailed, r.explanation
    assert r.ceiling < r.M and r.construction_mean <= r.ceiling
    assert r.witness_t is None and "is light-tailed: Theorem 3 does not apply" in r.explanation
    assert r.ceiling == pytest.approx(math.sqrt(2 * r.eps), rel=0.05)  # σ√(2ε) for N(0, 1)


def test_theorem3_light_witness_needs_more_kl():
    r = check_theorem3(D.Normal(), M=2.0, eps=0.05, depth=14)
    assert r.outcome is Outcome.DOES_NOT_APPLY and r.witness_t is not None
    assert r.witness_mean > 2.0 and r.witness_kl >= 0.05 and r.tr_error < 1e-12
    assert r.ceiling <= 2.0


@pytest.mark.parametrize("dist", [D.StudentT(nu=1.5), D.Pareto(alpha=1.5), D.Normal(), D.Gumbel()],
                         ids=repr)
def test_theorem3_ceiling_matches_tilting(dist):
    tree = mdp.token_tree(3, 8, returns=dist, base_policy="dirichlet", seed=2)
    r = check_theorem3(dist, M=5.0, eps=0.02, tree=tree)
    rho0 = mdp.trajectory_distribution(tree)
    assert r.ceiling == pytest.approx(sup_mean_under_kl((tree.returns, rho0), kl=0.02).value, rel=1e-10)
    soft = mdp.soft_optimal_policy(tree, r.ceiling_beta)
    assert soft.kl == pytest.approx(0.02, rel=1e-10)
    assert r.construction_mean <= r.ceiling * (1 + 1e-12)


def test_theorem3_heavy_fails_on_a_small_tree():
    r = check_theorem3(D.StudentT(nu=1.5), M=1000.0, eps=0.01, depth=6)
    assert r.outcome is Outcome.FAILS and r.heavy_tailed
    assert "too small" in r.explanation or "do not reach" in r.explanation


def test_theorem3_bad_input():
    with pytest.raises(ValueError, match="`returns` must be a catgoodhart distribution"):
        check_theorem3(np.zeros(4))
    with pytest.raises(ValueError, match="`eps` finite and > 0"):
        check_theorem3(D.Normal(), eps=0.0, depth=2)
    with pytest.raises(ValueError, match="`tree` must be a TokenTree"):
        check_theorem3(D.Normal(), tree="tree")


# ----- construction, validation, determinism --------------------------------------------
def test_tree_layout_and_repr():
    tree = mdp.token_tree(2, 20, returns=np.zeros(2**20))
    assert repr(tree) == "TokenTree(k=2, depth=20, leaves=1048576)"
    assert tree.edges == 2**21 - 2 and tree.base_policy.size == tree.edges
    assert not tree.base_policy.flags.writeable and not tree.returns.flags.writeable
    small = mdp.token_tree(3, 2, returns=np.arange(9.0), base_policy=np.tile([0.2, 0.3, 0.5], 4))
    rho0 = mdp.trajectory_distribution(small)
    # leaf 3*j + a: first token j, second token a
    np.testing.assert_allclose(rho0, np.outer([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]).ravel(), rtol=1e-15)


def test_large_tree_runs():
    tree = mdp.token_tree(2, 22, returns=D.Normal(), seed=1)
    rho = mdp.reweight_trajectories(tree, 2.0, 0.2)
    policy = mdp.policy_from_trajectories(tree, rho)
    assert np.max(np.abs(mdp.trajectory_distribution(tree, policy) - rho) / rho) < 1e-12


def test_same_seed_same_tree():
    a = mdp.token_tree(3, 6, returns=D.StudentT(nu=2.0), base_policy="dirichlet", seed=7)
    b = mdp.token_tree(3, 6, returns=D.StudentT(nu=2.0), base_policy="dirichlet", seed=7)
    c = mdp.token_tree(3, 6, returns=D.StudentT(nu=2.0), base_policy="dirichlet", seed=8)
    np.testing.assert_array_equal(a.base_policy, b.base_policy)
    np.testing.assert_array_equal(a.returns, b.returns)
    assert not np.array_equal(a.returns, c.returns) and not np.array_equal(a.base_policy, c.base_policy)
    # the returns stream does not depend on the base policy's draw
    u = mdp.token_tree(3, 6, returns=D.StudentT(nu=2.0), seed=7)
    np.testing.assert_array_equal(a.returns, u.returns)


def test_import_does_not_load_numba():
    code = "import sys, catgoodhart.mdp; print('numba' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"k": 1, "depth": 3}, "`k` must be an integer >= 2, got 1"),
    ({"k": 2.0, "depth": 3}, "`k` must be an integer >= 2, got 2.0"),
    ({"k": True, "depth": 3}, "`k` must be an integer >= 2, got True"),
    ({"k": 2, "depth": 0}, "`depth` must be an integer >= 1, got 0"),
    ({"k": 2, "depth": True}, "`depth` must be an integer >= 1, got True"),
    ({"k": 2, "depth": 1.5}, "`depth` must be an integer >= 1"),
    ({"k": 1000, "depth": 10}, r"`k` = 1000 and `depth` = 10 give 10+ leaves, which need about .* bytes; "
                               r".* bytes are available"),
])
def test_bad_shape(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mdp.token_tree(**kwargs, returns=D.Normal())


def test_too_many_leaves_for_int_indexing(monkeypatch):
    monkeypatch.setattr(mdp, "_available_bytes", lambda: 2**80)
    with pytest.raises(ValueError, match=r"`k` \*\* `depth` must be <= 2\*\*31 leaves, got 2\*\*32"):
        mdp.token_tree(2, 32, returns=D.Normal())


def test_bad_tree_arrays():
    with pytest.raises(ValueError, match="`returns` must be a 1-D array of 8 leaf returns"):
        mdp.token_tree(2, 3, returns=np.zeros(7))
    with pytest.raises(ValueError, match="`returns` must be finite"):
        mdp.token_tree(2, 1, returns=[0.0, math.nan])
    with pytest.raises(ValueError, match="`base_policy` must be a 1-D array of 6 edge probabilities"):
        mdp.token_tree(2, 2, returns=np.zeros(4), base_policy=np.full(5, 0.5))
    with pytest.raises(ValueError, match="`base_policy` must be >= 0"):
        mdp.token_tree(2, 1, returns=np.zeros(2), base_policy=[1.5, -0.5])
    with pytest.raises(ValueError, match="`base_policy` must be finite"):
        mdp.token_tree(2, 1, returns=np.zeros(2), base_policy=[math.nan, 1.0])
    with pytest.raises(ValueError, match=r"`base_policy`: each state's 2 action probabilities must sum "
                                         r"to 1 \(within 1e-12\); node 1 at depth 1 sums to 0.9"):
        mdp.token_tree(2, 2, returns=np.zeros(4), base_policy=[0.5, 0.5, 0.5, 0.5, 0.5, 0.4])
    with pytest.raises(ValueError, match="`base_policy` gives node 0 at depth 1 only zero action"):
        mdp.token_tree(2, 2, returns=np.zeros(4), base_policy=[0.5, 0.5, 0.0, 0.0, 0.5, 0.5])
    with pytest.raises(ValueError, match="`base_policy` must be 'uniform', 'dirichlet' or an array"):
        mdp.token_tree(2, 2, returns=np.zeros(4), base_policy="softmax")
    with pytest.raises(ValueError, match="`concentration` must be > 0, got -1.0"):
        mdp.token_tree(2, 2, returns=np.zeros(4), base_policy="dirichlet", concentration=-1.0)
    # rows within 1e-12 of 1 are renormalized
    tree = mdp.token_tree(2, 1, returns=np.zeros(2), base_policy=[0.5 + 4e-13, 0.5])
    assert tree.base_policy.sum() == pytest.approx(1.0, abs=EPS)


def test_bad_function_input():
    tree = mdp.token_tree(2, 3, returns=np.arange(8.0), seed=0)
    with pytest.raises(ValueError, match="`beta` must be > 0, got -1.0"):
        mdp.soft_optimal_policy(tree, -1.0)
    with pytest.raises(ValueError, match="`beta` must be > 0, got 0.0"):
        mdp.soft_optimal_policy(tree, 0.0)
    for p in (0.0, 1.0, 1.5, math.nan):
        with pytest.raises(ValueError, match="`p` must"):
            mdp.reweight_trajectories(tree, 3.0, p)
    with pytest.raises(ValueError, match="`t` must leave leaves on both sides"):
        mdp.reweight_trajectories(tree, 7.0, 0.5)
    with pytest.raises(ValueError, match="`t` must leave leaves on both sides"):
        mdp.reweight_trajectories(tree, -0.5, 0.5)
    with pytest.raises(ValueError, match="`t` must be finite"):
        mdp.reweight_trajectories(tree, math.inf, 0.5)
    with pytest.raises(ValueError, match="`rho` must be a 1-D array of 8 leaf probabilities"):
        mdp.policy_from_trajectories(tree, np.full(7, 1 / 7))
    with pytest.raises(ValueError, match="`rho` must sum to 1"):
        mdp.trajectory_kl(tree, np.full(8, 0.2))
    with pytest.raises(ValueError, match="`rho` must be >= 0"):
        mdp.mean_return(tree, np.array([0.5, 0.5, 0.25, -0.25, 0, 0, 0, 0]))
    with pytest.raises(ValueError, match="`rho` must be finite"):
        mdp.mean_return(tree, np.array([math.nan, 1, 0, 0, 0, 0, 0, 0]))
    with pytest.raises(ValueError, match="`policy` must be a 1-D array of 14 edge probabilities"):
        mdp.trajectory_distribution(tree, np.full(13, 0.5))
    with pytest.raises(ValueError, match="`policy` must be >= 0"):
        mdp.expected_state_kl(tree, np.r_[1.5, -0.5, np.full(12, 0.5)])
    with pytest.raises(ValueError, match="`tree` must be a TokenTree"):
        mdp.trajectory_distribution("tree")
