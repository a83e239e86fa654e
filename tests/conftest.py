"""Shared fixtures: one representative instance of every distribution family."""

import pytest

from catgoodhart import distributions as D

#: one instance per family (non-trivial loc/scale where the family has them)
EXAMPLES = [
    D.Normal(mu=1.0, sigma=2.0),
    D.Exponential(rate=2.0),
    D.Gumbel(mu=-1.0, beta=0.5),
    D.Laplace(mu=0.5, b=2.0),
    D.Uniform(low=-1.0, high=3.0),
    D.Weibull(shape=2.0, scale=1.5),
    D.Weibull(shape=0.5),
    D.StudentT(nu=3.0),
    D.StudentT(nu=0.7, loc=1.0, scale=2.0),
    D.Pareto(alpha=1.5, xm=2.0),
    D.LogNormal(mu=0.3, sigma=1.0),
    D.Levy(mu=0.0, c=0.5),
    D.Frechet(alpha=3.0, scale=2.0),
    D.BurrXII(c=2.0, k=1.5),
    D.GPD(xi=0.3, scale=2.0),
    D.Cauchy(loc=-1.0, scale=0.5),
]


def example_id(dist):
    return repr(dist)


@pytest.fixture(params=EXAMPLES, ids=example_id)
def example(request):
    return request.param


def load_reference_script(name):
    """``tests/reference/<name>.py`` as a module, leaving mpmath's global precision as it was."""
    import importlib.util
    from pathlib import Path

    import mpmath

    spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / "reference" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    with mpmath.workdps(mpmath.mp.dps):
        spec.loader.exec_module(module)
    return module


def usage_error(capsys, argv):
    """Run the command line on argv expecting argparse's own error: exit code 2 and one line
    on stderr, which is returned."""
    import pytest

    from catgoodhart.cli import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error:" in err, err
    return err
