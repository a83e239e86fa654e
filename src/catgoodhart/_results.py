"""Result objects: small frozen dataclasses that print as a table and serialize to JSON."""

import dataclasses
import math

import numpy as np


def _jsonable(value):
    if isinstance(value, Result):
        return value.to_dict()
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if math.isfinite(v) else str(v)  # JSON has no inf/nan: "inf", "-inf", "nan"
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    return value


def _cell(value):
    if isinstance(value, np.ndarray):
        if value.size <= 6:
            return np.array2string(value, precision=6, separator=", ")
        return f"array{value.shape} [{value.min():.6g} … {value.max():.6g}]"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


class Result:
    """Mixin for frozen result dataclasses: ``to_dict()`` and a two-column ``__repr__``."""

    def to_dict(self):
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def __repr__(self):
        rows = [(f.name, _cell(getattr(self, f.name))) for f in dataclasses.fields(self)]
        width = max(len(name) for name, _ in rows)
        body = "\n".join(f"  {name:<{width}}  {text}" for name, text in rows)
        return f"{type(self).__name__}\n{body}"
