"""The terminal report: a table with bar charts, ANSI colour only on a terminal (the
linter's own colour helper, so both commands colour alike).

Written by hand (no ``rich``): gil-lint's only runtime dependencies are the
ones the linter needs.
"""

from __future__ import annotations

from gil_lint.output.style import paint
from gil_lint.verify.report import ModeResult, VerifyReport

BAR_WIDTH = 20
_EIGHTHS = " ▏▎▍▌▋▊▉"
_STATUS_STYLE = {
    # a confirmed finding is a real problem in the user's code
    "confirmed": "bold red",
    "not_confirmed": "bold green",
    "inconclusive": "bold yellow",
}
_MODE_STYLE = {
    "sequential": "blue",
    "threads": "yellow",
    "processes": "green",
    "event loop": "red",
    "offloaded": "green",
}


def render_text(report: VerifyReport, *, colour: bool = False) -> str:
    """The whole report as printed by ``gil-lint verify`` (trailing newline included)."""
    is_async = report.kind == "async"
    how = "event loop" if is_async else f"{plural(report.workers, 'worker')}"
    gil = "GIL enabled" if report.gil_enabled else "GIL disabled (free-threaded)"
    lines = [
        paint(f"gil-lint verify {report.path}::{report.function}", "bold", colour)
        + f"  ({how}, {plural(report.rounds, 'round')}, {report.python}, {gil})"
    ]
    if report.finding is not None:
        lines.append(f"checking {report.finding} at line {report.line} with {report.call}")
    elif report.call != f"{report.function}()":
        lines.append(f"call: {report.call}")

    last = "worst stall" if is_async else "speed-up"
    lines.append(f"{'mode':<12}{'wall':>8}{'cpu':>9}{'util':>7}{last:>12}")
    scale = max((_bar_value(m, is_async) for m in report.modes), default=0.0)
    for m in report.modes:
        figure = f"{m.worst_stall_ms or 0.0:.1f} ms" if is_async else f"{m.speedup or 0.0:.2f}x"
        bar = paint(_bar(_bar_value(m, is_async), scale), _MODE_STYLE.get(m.name, ""), colour)
        lines.append(
            f"{m.name:<12}{_seconds(m.wall_s):>8}{_seconds(m.cpu_s):>9}"
            f"{m.utilisation:>7.2f}{figure:>12}  {bar}".rstrip()
        )
    status = paint(report.verdict.label, _STATUS_STYLE[report.verdict.status], colour)
    lines.append(f"verdict: {status} — {report.verdict.detail}")
    return "\n".join(lines) + "\n"


def _bar_value(m: ModeResult, is_async: bool) -> float:
    """What the bars compare: time to do the work, or how long the loop froze."""
    return (m.worst_stall_ms or 0.0) if is_async else m.wall_s


def _bar(value: float, scale: float) -> str:
    if scale <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / scale * BAR_WIDTH * 8))
    full, rest = divmod(eighths, 8)
    return ("█" * full + _EIGHTHS[rest]).rstrip()


def _seconds(s: float) -> str:
    return f"{s:.2f} s" if s >= 0.1 else f"{s * 1000:.1f} ms"


def plural(n: int, word: str) -> str:
    """``1 round``, ``3 rounds``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
