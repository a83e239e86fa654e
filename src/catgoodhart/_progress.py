"""One progress bar for long commands (rich), or a silent stand-in with the same methods."""


class _Silent:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def add_task(self, *args, **kwargs):
        return 0

    def update(self, *args, **kwargs):
        pass

    def advance(self, *args, **kwargs):
        pass


def progress_bar(show=True):
    """A ``rich.progress.Progress`` (description, bar, done/total, elapsed) if ``show``, else a
    stand-in that draws nothing; use it as a context manager."""
    if not show:
        return _Silent()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn())
