"""What the ``catgoodhart`` commands share: one-line usage errors, argument types, and the
checks made on output paths before any work is done.

Every user mistake ends as one line on stderr, ``catgoodhart COMMAND: error: ...``, and exit
code 2: argparse's own errors through :class:`Parser`, every other one as a
:class:`UsageError` raised by a handler. An output file is never replaced without
``--force``.
"""

import argparse
import decimal
import os
from pathlib import Path


class UsageError(Exception):
    """A user mistake: reported as one line on stderr, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse whose own errors (unknown options, malformed values) are one line on stderr
    with exit code 2, like every other user mistake; subcommand parsers inherit it."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _integer(text, low):
    """``text`` as an int >= ``low``, written with digits or like 1e6 (read exactly: 1e20 is
    10**20, not the float nearest to it)."""
    try:
        value = decimal.Decimal(text.strip())
    except decimal.InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < low or value != value.to_integral_value():
        raise argparse.ArgumentTypeError(f"must be an integer >= {low} (like 1000 or 1e6), got {text!r}")
    if value.adjusted() > 100:  # beyond any memory or run time; and no int of 10**9 digits
        raise argparse.ArgumentTypeError(f"must be an integer >= {low} of at most 100 digits, got {text!r}")
    return int(value)


def add_engine_options(parser):
    """The options that say where a sweep's cells run (see ``catgoodhart.sweep``)."""
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on the Dask scheduler at ADDRESS, e.g. tcp://host:8786 (default: "
                             "$DASK_SCHEDULER_ADDRESS if set, else a LocalCluster started and stopped here)")
    parser.add_argument("--workers", type=positive, default=None,
                        help="worker processes of the LocalCluster (default: one per core); 1 runs every "
                             "cell in this process")
    parser.add_argument("--no-dask", action="store_true", help="run every cell in this process (--workers 1)")


def engine(args):
    """(scheduler, workers) for ``run_sweep`` from the options of ``add_engine_options``."""
    if args.no_dask and (args.scheduler or (args.workers or 1) > 1):
        given = "--scheduler" if args.scheduler else f"--workers {args.workers}"
        raise UsageError(f"--no-dask runs in this process; it cannot be combined with {given}")
    if args.scheduler and args.workers:
        raise UsageError("--workers sizes the LocalCluster; an existing --scheduler brings its own workers")
    return args.scheduler, 1 if args.no_dask else args.workers


def show_help(args):
    """The handler of a command group run without a subcommand: its help (``args.help_parser``)."""
    args.help_parser.print_help()
    return 0


def command_group(subparsers, name, *, help, description):
    """A command ``name`` with subcommands (their name in ``args.<name>_command``); run alone,
    it prints its help. Returns the ``subparsers`` to add them to."""
    group = subparsers.add_parser(name, help=help, description=description)
    sub = group.add_subparsers(dest=f"{name}_command", metavar=name.upper())
    group.set_defaults(func=show_help, help_parser=group)
    return sub


def count(text):
    """argparse type: an integer >= 0 (``1000``, ``1e6``). Whether that many items fit in
    memory is for the library to say, with the bytes they would need."""
    return _integer(text, 0)


def positive(text):
    """argparse type: an integer >= 1 (``8``, ``1e3``)."""
    return _integer(text, 1)


def seed(text):
    """argparse type: a seed, an integer >= 0 (``42``, ``1e9``)."""
    return _integer(text, 0)


def write_problem(option, path, error):
    """One line for an output that cannot be written (an ``OSError``, see ``_files``)."""
    if isinstance(error, FileExistsError):
        return f"{option} {path}: already exists; pass --force to overwrite it, or choose another {option}"
    return f"{option} {path}: cannot be written: {error.strerror or error}"


def check_output(option, path, *, force):
    """Before any work: ``path``'s folder exists, ``path`` is not a folder, and it exists
    only with ``force``; else a :class:`UsageError` naming ``option``."""
    from catgoodhart._files import check_target

    try:
        check_target(path, overwrite=force)
    except OSError as e:
        raise UsageError(write_problem(option, path, e)) from e


def blocking_file(folder):
    """The file that stands where ``folder`` or one of its parents should be, or None."""
    probe = Path(os.fspath(folder))
    while not os.path.lexists(probe) and probe != probe.parent:
        probe = probe.parent
    return probe if os.path.lexists(probe) and not probe.is_dir() else None


def check_output_folder(option, folder, names, *, force):
    """Before any work: ``folder`` is a folder or can be made one, and unless ``force`` none
    of the files ``names`` exists in it yet."""
    folder = Path(os.fspath(folder))
    blocker = blocking_file(folder)
    if blocker == folder:
        raise UsageError(f"{option} {folder}: is a file, not a folder")
    if blocker is not None:
        raise UsageError(f"{option} {folder}: cannot be made: {blocker} is a file, not a folder")
    if not force:
        existing = [name for name in names if os.path.lexists(folder / name)]
        if existing:
            shown = ", ".join(existing[:3]) + (f" and {len(existing) - 3} more" if len(existing) > 3 else "")
            raise UsageError(f"{option} {folder}: already holds {shown}; pass --force to overwrite "
                             f"them, or choose another {option}")
