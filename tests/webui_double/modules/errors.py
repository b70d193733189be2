"""Double of modules/errors.py: same printing format; every report is also kept in ``reported`` for tests."""

from __future__ import annotations

import sys
import textwrap
import traceback

exception_records: list[dict] = []
reported: list[dict] = []
"""Double-only: one entry per report()/display() call: {"message", "exc_type", "exc"}."""


def format_traceback(tb) -> list:
    return [[f"{x.filename}, line {x.lineno}, {x.name}", x.line] for x in traceback.extract_tb(tb)]


def record_exception() -> None:
    _, e, tb = sys.exc_info()
    if e is None:
        return
    if exception_records and exception_records[-1].get("exception") == str(e):
        return
    exception_records.append({"exception": str(e), "traceback": format_traceback(tb)})
    if len(exception_records) > 5:
        exception_records.pop(0)


def report(message: str, *, exc_info: bool = False) -> None:
    """Print ``*** message`` lines (and the current traceback when exc_info) to stderr, like A1111."""
    record_exception()
    _, e, _ = sys.exc_info()
    reported.append({"message": message, "exc_type": type(e) if e else None, "exc": e})
    for line in message.splitlines():
        print("***", line, file=sys.stderr)
    if exc_info:
        print(textwrap.indent(traceback.format_exc(), "    "), file=sys.stderr)
        print("---", file=sys.stderr)


def print_error_explanation(message: str) -> None:
    record_exception()
    lines = message.strip().split("\n")
    width = max(len(x) for x in lines)
    print("=" * width, file=sys.stderr)
    for line in lines:
        print(line, file=sys.stderr)
    print("=" * width, file=sys.stderr)


def display(e: Exception, task, *, full_traceback: bool = False) -> None:
    record_exception()
    reported.append({"message": str(task), "exc_type": type(e), "exc": e})
    print(f"{task or 'error'}: {type(e).__name__}", file=sys.stderr)
    print(*traceback.TracebackException.from_exception(e).format(), sep="", file=sys.stderr)


def run(code, task: str) -> None:
    try:
        code()
    except Exception as e:
        display(e, task)
