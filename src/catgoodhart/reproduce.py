"""``catgoodhart reproduce``: regenerate every figure and check every claim of the two papers.

Each claim is one script in the repository's ``paper_checks/`` folder. A script defines
``check() -> ClaimCheck`` and ends with ``if __name__ == "__main__": print_check(check())``,
so ``python paper_checks/NAME.py`` prints one claim: what the paper says (paraphrased, with
its location), what the toolkit computes, and a verdict:

* ``AGREES``: the numbers bear the claim out as stated;
* ``DISAGREES``: they do not; the computed values are reported, the setup is not adjusted;
* ``NOT CHECKABLE``: the claim needs something the toolkit cannot compute (the reason says what).

:func:`reproduce` runs every script and writes ``paper_checks/REPORT.md``: a table with one
row per script, then the details of each.
"""

import importlib.util
import math
import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from catgoodhart._files import write_text_atomically
from catgoodhart._progress import progress_bar
from catgoodhart._results import Result

VERDICTS = ("AGREES", "DISAGREES", "NOT CHECKABLE")
#: the verdict of a script that raised instead of returning a ClaimCheck
ERROR = "ERROR"


@dataclass(frozen=True, repr=False)
class ClaimCheck(Result):
    """One paper claim next to what the toolkit computes.

    Attributes
    ----------
    paper : str
        ``"Catastrophic Goodhart"`` (Kwa, Thomas & Garriga-Alonso, arXiv 2407.14503) or
        ``"Gao et al."`` (Gao, Schulman & Hilton, arXiv 2210.10760).
    location : str
        Where the claim is made, e.g. ``"§3.1, Theorem 1"``.
    claim : str
        The claim, paraphrased.
    computed : str
        One line: what the toolkit computes.
    verdict : str
        One of ``VERDICTS``.
    reason : str
        Why the verdict follows from the numbers.
    details : dict
        Named numbers (or short strings) behind the verdict.
    """

    paper: str
    location: str
    claim: str
    computed: str
    verdict: str
    reason: str
    details: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"`verdict` must be one of {VERDICTS}, got {self.verdict!r}")

    def text(self):
        """The claim as plain text, one fact a line."""
        lines = [f"claim     {self.claim}",
                 f"source    {self.paper}, {self.location}",
                 f"computed  {self.computed}",
                 f"verdict   {self.verdict}: {self.reason}"]
        lines += [f"  {name} = {_format(value)}" for name, value in self.details.items()]
        return "\n".join(lines)


def print_check(result):
    """Print a ``ClaimCheck`` (the ``__main__`` of every script in ``paper_checks/``)."""
    print(result.text())


def numbers(values, fmt=".4g"):
    """"1.23, 4.56": values for a check's details."""
    return ", ".join(f"{x:{fmt}}" for x in np.atleast_1d(values))


def exact_against_monte_carlo(exact, mc, se):
    """"exact | Monte Carlo ± s.e.; ...": each exact value next to its Monte Carlo estimate."""
    return "; ".join(f"{e:.4g} | {m:.4g} ± {s:.2g}" for e, m, s in zip(exact, mc, se, strict=True))


def batch_mean(values):
    """(mean, standard error) over the first axis: independent seeded batches."""
    values = np.asarray(values, dtype=float)
    return values.mean(axis=0), values.std(axis=0, ddof=1) / math.sqrt(values.shape[0])


def _format(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    return str(value)


@dataclass(frozen=True, repr=False)
class ScriptOutcome(Result):
    """A script of ``paper_checks/`` and what running it gave: a ``ClaimCheck`` or an error."""

    name: str
    result: ClaimCheck | None
    error: str = ""

    @property
    def verdict(self):
        return self.result.verdict if self.result is not None else ERROR


def repository_root():
    """The folder holding ``paper_checks/``: the current directory if it has one, else the
    clone this package was installed from (``pip install -e .``)."""
    for root in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (root / "paper_checks").is_dir():
            return root
    raise ValueError("no paper_checks/ folder here or beside the installed package: run "
                     "`catgoodhart reproduce` in a clone of the repository, or pass --checks DIR")


def find_scripts(directory):
    """The check scripts of ``directory``: every ``*.py`` not starting with ``_``, sorted."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(f"`checks` must be a folder of check scripts, got {os.fspath(directory)!r}")
    scripts = sorted(p for p in directory.glob("*.py") if not p.name.startswith("_"))
    if not scripts:
        raise ValueError(f"no check scripts (*.py) in {os.fspath(directory)!r}")
    return scripts


def run_script(path):
    """Import one script and call its ``check()``; an exception becomes an ERROR outcome."""
    path = Path(path)
    try:
        spec = importlib.util.spec_from_file_location(f"paper_checks.{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        result = module.check()
        if not isinstance(result, ClaimCheck):
            raise TypeError(f"check() returned {type(result).__name__}, not ClaimCheck")
    except Exception:  # a broken script is reported in the table, the others still run
        return ScriptOutcome(path.stem, None, traceback.format_exc(limit=3).strip())
    return ScriptOutcome(path.stem, result)


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def report_markdown(outcomes):
    """REPORT.md: a summary table (one row per script), then each claim in full."""
    counts = {v: sum(o.verdict == v for o in outcomes) for v in (*VERDICTS, ERROR)}
    summary = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
    lines = ["# Paper checks", "",
             "Generated by `catgoodhart reproduce` from the scripts in `paper_checks/` "
             "(run one alone with `python paper_checks/NAME.py`). Papers: *Catastrophic Goodhart* "
             "(Kwa, Thomas & Garriga-Alonso, arXiv 2407.14503) and *Scaling Laws for Reward Model "
             "Overoptimization* (Gao, Schulman & Hilton, arXiv 2210.10760).", "",
             f"{len(outcomes)} checks: {summary}.", "",
             "| check | paper | location | claim | computed | verdict |",
             "|---|---|---|---|---|---|"]
    for o in outcomes:
        r = o.result
        if r is None:
            lines.append(f"| `{o.name}` | | | | | **{ERROR}** |")
        else:
            lines.append(f"| `{o.name}` | {_cell(r.paper)} | {_cell(r.location)} | {_cell(r.claim)} | "
                         f"{_cell(r.computed)} | **{r.verdict}** |")
    lines += ["", "## Details"]
    for o in outcomes:
        lines += ["", f"### `{o.name}`: {o.verdict}", ""]
        if o.result is None:
            lines += ["```", o.error, "```"]
            continue
        r = o.result
        lines += [f"*{r.paper}, {r.location}.* {r.claim}", "", f"**Computed.** {r.computed}", "",
                  f"**{r.verdict}.** {r.reason}"]
        if r.details:
            lines += ["", "| quantity | value |", "|---|---|"]
            lines += [f"| {_cell(k)} | {_cell(_format(v))} |" for k, v in r.details.items()]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, repr=False)
class ReproduceResult(Result):
    """What ``reproduce`` wrote: the figure files, the report, and each script's outcome."""

    figures: list
    report: str
    outcomes: list

    @property
    def errors(self):
        return [o.name for o in self.outcomes if o.verdict == ERROR]


def reproduce(*, figures_dir=None, report=None, checks=None, figures=True, fast=False, progress=False):
    """Regenerate every figure, run every script of ``paper_checks/`` and write REPORT.md.

    Parameters
    ----------
    figures_dir : path, optional
        Where the figures go (default ``figures/`` in the repository).
    report : path, optional
        The report to write (default ``paper_checks/REPORT.md`` in the repository).
    checks : path, optional
        The folder of check scripts (default the repository's ``paper_checks/``).
    figures : bool
        Whether to regenerate the figures (``False``: only the checks).
    fast : bool
        Figures at test quality (fewer frames and points); the checks are unchanged.
    progress : bool
        Show a progress bar (rich) with one step per figure and per script.

    Returns
    -------
    ReproduceResult
    """
    root = repository_root() if checks is None else Path(checks).resolve().parent
    checks = root / "paper_checks" if checks is None else checks
    figures_dir = root / "figures" if figures_dir is None else figures_dir
    report = root / "paper_checks" / "REPORT.md" if report is None else report
    scripts = find_scripts(checks)
    names = []
    if figures:
        from catgoodhart.viz import FIGURES

        names = list(FIGURES)
    with progress_bar(progress) as bar:
        task = bar.add_task("reproduce", total=len(names) + len(scripts))
        written = []
        if figures:
            from catgoodhart.viz import make_figures

            for name in names:
                bar.update(task, description=f"figure {name}")
                written += make_figures(figures_dir, only=name, fast=fast)
                bar.advance(task)
        outcomes = []
        for path in scripts:
            bar.update(task, description=f"check {path.stem}")
            outcomes.append(run_script(path))
            bar.advance(task)
    write_text_atomically(report, report_markdown(outcomes))
    return ReproduceResult([os.fspath(p) for p in written], os.fspath(report), outcomes)


__all__ = ["VERDICTS", "ClaimCheck", "ReproduceResult", "ScriptOutcome", "find_scripts", "print_check",
           "report_markdown", "reproduce", "run_script"]
