"""Distribution specs for the command line: ``name:param=value,param=value``.

Names are the class names in lower case with underscores (``student_t``, ``log_normal``,
``burr_xii``); underscores and hyphens are optional when matching (``lognormal`` works).
"""

import dataclasses
import re

from catgoodhart.distributions import heavy, light

FAMILIES = (
    light.Normal, light.Exponential, light.Gumbel, light.Laplace, light.Uniform, light.Weibull,
    heavy.StudentT, heavy.Pareto, heavy.LogNormal, heavy.Levy, heavy.Frechet, heavy.BurrXII,
    heavy.GPD, heavy.Cauchy,
)


def spec_name(cls):
    """``StudentT`` -> ``student_t``, ``BurrXII`` -> ``burr_xii``, ``GPD`` -> ``gpd``."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", cls.__name__).lower()


def _key(name):
    return name.lower().replace("_", "").replace("-", "")


_BY_KEY = {_key(spec_name(cls)): cls for cls in FAMILIES}


def parameters(cls):
    """[(name, default or None when required)] in signature order."""
    return [(f.name, None if f.default is dataclasses.MISSING else f.default)
            for f in dataclasses.fields(cls)]


def parse_spec(spec):
    """Build a distribution from ``name:param=value,...`` (e.g. ``pareto:alpha=1.5,xm=1``).

    Raises ``ValueError`` with one line naming what is wrong.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError("empty distribution spec; expected name:param=value,...")
    name, _, body = spec.strip().partition(":")
    cls = _BY_KEY.get(_key(name.strip()))
    if cls is None:
        known = ", ".join(spec_name(c) for c in FAMILIES)
        raise ValueError(f"unknown distribution {name.strip()!r}; known: {known}")
    allowed = [p for p, _ in parameters(cls)]
    kwargs = {}
    for item in filter(None, (part.strip() for part in body.split(","))):
        key, eq, text = item.partition("=")
        key = key.strip()
        if not eq:
            raise ValueError(f"{spec_name(cls)}: expected param=value, got {item!r}")
        if key not in allowed:
            raise ValueError(f"{spec_name(cls)} has no parameter {key!r}; "
                             f"its parameters: {', '.join(allowed)}")
        if key in kwargs:
            raise ValueError(f"{spec_name(cls)}: parameter {key!r} given twice")
        try:
            kwargs[key] = float(text)
        except ValueError:
            raise ValueError(f"`{key}` must be a number, got {text.strip()!r}") from None
    missing = [p for p, default in parameters(cls) if default is None and p not in kwargs]
    if missing:
        raise ValueError(f"{spec_name(cls)} needs {', '.join(f'`{m}`' for m in missing)}")
    return cls(**kwargs)
