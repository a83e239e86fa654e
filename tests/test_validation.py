"""Bad input raises ValueError whose message names the argument in backticks and says what
is allowed; valid edge input works."""

import dataclasses
import math
import re

import numpy as np
import pytest
from scipy import stats

from catgoodhart import _validation
from catgoodhart import distributions as D

#: every parameter of every family: (class, name, kind, valid keyword arguments)
#: kind: "real" (any finite number), "positive" (> 0) or "lognormal_mu" (in [-700, 700])
VALID = {
    D.Normal: {"mu": 0.5, "sigma": 2.0},
    D.Exponential: {"rate": 2.0, "loc": -1.0},
    D.Gumbel: {"mu": 0.5, "beta": 2.0},
    D.Laplace: {"mu": 0.5, "b": 2.0},
    D.Uniform: {"low": -1.0, "high": 3.0},
    D.Weibull: {"shape": 1.5, "scale": 2.0, "loc": -1.0},
    D.StudentT: {"nu": 3.0, "loc": 1.0, "scale": 2.0},
    D.Pareto: {"alpha": 1.5, "xm": 2.0, "loc": -1.0},
    D.LogNormal: {"mu": 0.3, "sigma": 1.0, "loc": 2.0},
    D.Levy: {"mu": 0.5, "c": 2.0},
    D.Frechet: {"alpha": 3.0, "loc": 1.0, "scale": 2.0},
    D.BurrXII: {"c": 2.0, "k": 1.5, "loc": 1.0, "scale": 2.0},
    D.GPD: {"xi": 0.3, "loc": 1.0, "scale": 2.0},
    D.Cauchy: {"loc": -1.0, "scale": 0.5},
}
POSITIVE = {
    D.Normal: {"sigma"}, D.Exponential: {"rate"}, D.Gumbel: {"beta"}, D.Laplace: {"b"},
    D.Uniform: set(), D.Weibull: {"shape", "scale"}, D.StudentT: {"nu", "scale"},
    D.Pareto: {"alpha", "xm"}, D.LogNormal: {"sigma"}, D.Levy: {"c"},
    D.Frechet: {"alpha", "scale"}, D.BurrXII: {"c", "k", "scale"}, D.GPD: {"xi", "scale"},
    D.Cauchy: {"scale"},
}
PARAMS = [(cls, name) for cls in VALID for name in VALID[cls]]
PARAM_IDS = [f"{cls.__name__}.{name}" for cls, name in PARAMS]
POSITIVE_PARAMS = [(cls, name) for cls, name in PARAMS if name in POSITIVE[cls]]
POSITIVE_IDS = [f"{cls.__name__}.{name}" for cls, name in POSITIVE_PARAMS]


def test_tables_cover_every_parameter_of_every_family():
    assert set(VALID) == set(D.FAMILIES) == set(POSITIVE)
    for cls in D.FAMILIES:
        assert list(VALID[cls]) == [f.name for f in dataclasses.fields(cls)], cls
        assert POSITIVE[cls] <= set(VALID[cls])


def build(cls, name, value):
    return cls(**{**VALID[cls], name: value})


def raises_naming(name, *phrases):
    """pytest.raises(ValueError) whose message has `name` in backticks and every phrase."""
    pattern = "".join(f"(?=.*{re.escape(p)})" for p in (f"`{name}`", *phrases))
    return pytest.raises(ValueError, match=re.compile(pattern, re.DOTALL))


@pytest.mark.parametrize(("cls", "name"), PARAMS, ids=PARAM_IDS)
def test_valid_table_builds(cls, name):
    dist = cls(**VALID[cls])
    value = getattr(dist, name)
    assert type(value) is float and value == VALID[cls][name]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, np.nan, np.float64(np.inf)],
                         ids=["nan", "inf", "-inf", "np.nan", "np.inf"])
@pytest.mark.parametrize(("cls", "name"), PARAMS, ids=PARAM_IDS)
def test_non_finite_parameter(cls, name, bad):
    with raises_naming(name, "must be finite", "got"):
        build(cls, name, bad)


@pytest.mark.parametrize("bad", [-1.0, -1e-300, 0.0, -0.0, -math.inf, 0, -3],
                         ids=["-1", "-1e-300", "0", "-0.0", "-inf", "int 0", "int -3"])
@pytest.mark.parametrize(("cls", "name"), POSITIVE_PARAMS, ids=POSITIVE_IDS)
def test_non_positive_parameter(cls, name, bad):
    phrase = "must be finite" if math.isinf(bad) else "must be > 0"
    with raises_naming(name, phrase, "got"):
        build(cls, name, bad)


@pytest.mark.parametrize("bad", [True, False, np.True_, "1.0", "x", None, 1j, [1.0],
                                 np.array([1.0, 2.0])],
                         ids=["True", "False", "np.True_", "str-number", "str", "None",
                              "complex", "list", "array"])
@pytest.mark.parametrize(("cls", "name"), PARAMS, ids=PARAM_IDS)
def test_non_real_parameter(cls, name, bad):
    with raises_naming(name, "must be a real number", "got"):
        build(cls, name, bad)


@pytest.mark.parametrize("value", [2, np.int64(2), np.float32(2.0), np.float64(2.0), 2.0],
                         ids=["int", "np.int64", "np.float32", "np.float64", "float"])
@pytest.mark.parametrize(("cls", "name"), POSITIVE_PARAMS, ids=POSITIVE_IDS)
def test_numeric_parameter_types_accepted(cls, name, value):
    dist = build(cls, name, value)
    assert type(getattr(dist, name)) is float and getattr(dist, name) == 2.0


@pytest.mark.parametrize("bad", [700.5, 701.0, 1e4, -700.5, -1e4])
def test_lognormal_mu_range(bad):
    with raises_naming("mu", "must be in [-700, 700]", "got"):
        D.LogNormal(mu=bad)
    assert D.LogNormal(mu=700.0).mu == 700.0
    assert D.LogNormal(mu=-700.0).mu == -700.0


@pytest.mark.parametrize(("low", "high"), [(0.0, 0.0), (1.0, 0.0), (-1.0, -2.0), (5.0, -5.0),
                                           (1e-300, 0.0)])
def test_uniform_high_must_exceed_low(low, high):
    with raises_naming("high", "must be >", "`low`"):
        D.Uniform(low=low, high=high)


def test_uniform_width_must_be_finite():
    with raises_naming("high", "finite"):
        D.Uniform(low=-1e308, high=1e308)


@pytest.mark.parametrize("cls", [D.Weibull, D.StudentT, D.Pareto, D.Frechet, D.GPD])
def test_required_shape_parameter(cls):
    with pytest.raises(TypeError):
        cls()


# --------------------------------------------------------------------------------------
# methods
# --------------------------------------------------------------------------------------
INSTANCES = [cls(**VALID[cls]) for cls in D.FAMILIES] + [
    D.from_scipy(stats.t(3), heavy_tailed=True, gamma=1 / 3)]
INSTANCE_IDS = [repr(d) for d in INSTANCES]
instances = pytest.mark.parametrize("dist", INSTANCES, ids=INSTANCE_IDS)


@instances
@pytest.mark.parametrize("bad", [-1, 1.5, True, False, np.float64(3.0), "3", None, -np.int64(1)],
                         ids=["-1", "1.5", "True", "False", "np.float64", "str", "None",
                              "np.int64(-1)"])
def test_sample_bad_n(dist, bad):
    with raises_naming("n", "integer >= 0", "got"):
        dist.sample(bad, seed=0)


@instances
@pytest.mark.parametrize("n", [10**20, 2**63, 2**64 + 1, 10**400, np.uint64(2**64 - 1)],
                         ids=["1e20", "2**63", "2**64+1", "1e400", "uint64-max"])
def test_sample_beyond_memory_is_refused_before_allocating(dist, n):
    with raises_naming("n", "integer in [0, ", "bytes", "memory", f"got {int(n)}"):
        dist.sample(n, seed=0)


@instances
def test_sample_memory_bound(dist, monkeypatch):
    monkeypatch.setattr(_validation, "physical_memory", lambda: 8 * 100 + 7)  # room for 100 samples
    assert dist.sample(100, seed=0).shape == (100,)
    with raises_naming("n", "integer in [0, 100]", "808 bytes", "807 bytes"):
        dist.sample(101, seed=0)


def test_physical_memory_is_read_or_capped(monkeypatch):
    assert 2**20 < _validation.physical_memory() <= 2**60
    monkeypatch.delattr(_validation.os, "sysconf")
    assert _validation.physical_memory() == _validation.MEMORY_CAP


@instances
@pytest.mark.parametrize("bad", [-1, 1.5, "x", True, False, np.float64(1.0), [1, 2], -np.int64(5)],
                         ids=["-1", "1.5", "str", "True", "False", "np.float64", "list",
                              "np.int64(-5)"])
def test_sample_bad_seed(dist, bad):
    with raises_naming("seed", "int >= 0", "got"):
        dist.sample(3, seed=bad)


@instances
def test_sample_zero_is_empty_float64(dist):
    out = dist.sample(0, seed=1)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == (0,)


@instances
def test_sample_accepts_numpy_integers_and_generators(dist):
    a = dist.sample(np.int64(5), seed=np.int64(7))
    b = dist.sample(np.uint8(5), seed=7)
    assert a.shape == (5,) and a.dtype == np.float64
    np.testing.assert_array_equal(a, b)
    rng = np.random.default_rng(42)
    c = dist.sample(np.int32(4), seed=rng)
    d = dist.sample(4, seed=rng)  # the generator advanced: a different stream
    assert c.shape == d.shape == (4,) and not np.array_equal(c, d)
    again = np.random.default_rng(42)
    np.testing.assert_array_equal(dist.sample(4, seed=again), c)
    assert dist.sample(2, seed=None).shape == (2,)


@instances
@pytest.mark.parametrize("method", ["ppf", "isf"])
@pytest.mark.parametrize("bad", [-0.1, -1e-300, 1.0000000000000002, 1.5, math.nan, math.inf,
                                 -math.inf, [0.5, math.nan], [0.2, 1.1], np.array([[0.5, -2.0]])],
                         ids=["-0.1", "-tiny", "1+ulp", "1.5", "nan", "inf", "-inf",
                              "list-nan", "list-1.1", "2d-array"])
def test_quantile_bad_q(dist, method, bad):
    with raises_naming("q", "[0, 1]"):
        getattr(dist, method)(bad)


@instances
@pytest.mark.parametrize("method", ["ppf", "isf"])
def test_quantile_edge_q_accepted(dist, method):
    lo, hi = dist.support
    f = getattr(dist, method)
    assert {f(0.0), f(1.0)} == {lo, hi}
    out = f(np.array([0.0, 0.5, 1.0]))
    assert out.shape == (3,) and out.dtype == np.float64
    assert isinstance(f(0.5), float) and isinstance(f(np.float32(0.5)), float)
    assert f(0) == f(0.0) and f(1) == f(1.0)


@instances
@pytest.mark.parametrize("bad", [math.nan, np.nan, [0.0, math.nan], np.array([[math.nan]])],
                         ids=["nan", "np.nan", "list", "2d-array"])
def test_cgf_nan(dist, bad):
    with raises_naming("s", "NaN"):
        dist.cgf(bad)


@instances
def test_cgf_at_zero_is_zero(dist):
    assert dist.cgf(0.0) == 0.0 and dist.cgf(-0.0) == 0.0
    np.testing.assert_array_equal(dist.cgf(np.zeros(3)), np.zeros(3))
