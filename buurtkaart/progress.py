"""Progress bars for long work on the command line: counts, rate and time left (tqdm).

Work that takes a while (imports, network builds, coverage, best locations) calls
:func:`stage` around its loop and ``update``\\ s the bar it yields. Nothing is shown unless
the command line turned bars on with :func:`shown`; the web pages never do. Bars go to
standard error only, so machine-readable standard output (``--json``, CSV) stays clean.

When the CLI shows them: on a terminal (standard error is a TTY), or always with
``--progress`` / ``BUURTKAART_PROGRESS=1``, never with ``--no-progress`` /
``BUURTKAART_PROGRESS=0``.

Public API
----------
wanted(force=None) -> bool;  shown(on) (context manager);  stage(desc, total, unit);
counted(items, desc, total=None, unit);
note(message)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["wanted", "shown", "stage", "counted", "note", "ENV"]

#: The environment variable that forces bars on (1) or off (0).
ENV = "BUURTKAART_PROGRESS"
_ON = ContextVar("buurtkaart_progress", default=False)
_BARS: ContextVar[int] = ContextVar("buurtkaart_progress_bars", default=0)


def wanted(force: bool | None = None) -> bool:
    """Should the command line show bars? ``force`` (from ``--progress/--no-progress``)
    wins, then :data:`ENV`, then whether standard error is a terminal."""
    if force is not None:
        return force
    env = os.environ.get(ENV, "").strip().lower()
    if env in ("1", "yes", "true", "always", "on"):
        return True
    if env in ("0", "no", "false", "never", "off"):
        return False
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


@contextmanager
def shown(on: bool) -> Iterator[None]:
    """Bars are shown (``on``) for the work done inside."""
    token = _ON.set(on)
    try:
        yield
    finally:
        _ON.reset(token)


class _Silent:
    """What :func:`stage` yields when bars are off: it accepts every call and shows nothing."""

    total = None

    def update(self, n: int = 1) -> None:
        pass

    def reset(self, total: int | None = None) -> None:
        pass


@contextmanager
def stage(desc: str, total: int | None = None, unit: str = " items"):
    """A bar for one stage of work: ``update(n)`` after each ``n`` items; ``total`` (when
    known) gives the share done and the time left."""
    if not _ON.get():
        yield _Silent()
        return
    from tqdm import tqdm  # a dependency already (GTFS import)

    depth = _BARS.get()
    token = _BARS.set(depth + 1)
    try:
        with tqdm(desc=desc, total=total, unit=unit, file=sys.stderr, mininterval=0.2,
                  ncols=_size()[0], nrows=_size()[1], position=depth,
                  leave=depth == 0) as bar:
            yield bar
    finally:
        _BARS.reset(token)


def _size() -> tuple[int, int]:
    """Columns and lines of the terminal on stderr; 100 x 24 where it does not say (a pipe,
    a new pseudo-terminal of size 0, where tqdm would draw nothing)."""
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return 100, 24
    return size.columns or 100, size.lines or 24


def note(message: str) -> None:
    """A line of text on standard error that does not break a bar being drawn."""
    if _ON.get() and _BARS.get():
        from tqdm import tqdm

        tqdm.write(message, file=sys.stderr)
    else:
        print(message, file=sys.stderr)


def counted(items, desc: str, *, total: int | None = None, unit: str = " items"):
    """``items`` one by one, counted on a bar (``total`` defaults to ``len(items)``)."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)
    with stage(desc, total=total, unit=unit) as bar:
        for item in items:
            yield item
            bar.update(1)
