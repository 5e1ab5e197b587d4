"""``--plot FILE.png``: the report as a chart. matplotlib is optional (``gil-lint[plot]``)."""

from __future__ import annotations

from gil_lint.verify.report import VerifyError, VerifyReport

MISSING_MATPLOTLIB = "--plot needs matplotlib: pip install 'gil-lint[plot]'"


def require_matplotlib() -> None:
    """Fail before a long run, not after it, when the plot cannot be drawn."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise VerifyError("bad-input", MISSING_MATPLOTLIB) from None


def save_plot(report: VerifyReport, path: str) -> None:
    """Wall time (or loop stall) and CPU utilisation per mode, titled with the verdict."""
    require_matplotlib()
    import matplotlib

    matplotlib.use("Agg")  # no display needed, and none wanted in a CLI
    import matplotlib.pyplot as plt

    names = [m.name for m in report.modes]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    if report.kind == "async":
        left.bar(names, [m.worst_stall_ms or 0.0 for m in report.modes], color="#c0392b")
        left.set_ylabel("worst event-loop stall (ms)")
    else:
        left.bar(names, [m.wall_s for m in report.modes], color="#2e86c1")
        left.set_ylabel(f"wall time for {report.workers} calls (s)")
    right.bar(names, [m.utilisation for m in report.modes], color="#27ae60")
    right.axhline(report.cores, color="grey", linestyle="--", linewidth=1)
    right.set_ylabel(f"CPU utilisation (cores, {report.cores} available)")
    fig.suptitle(f"{report.path}::{report.function}: {report.verdict.label}")
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=120)
    except (OSError, ValueError) as e:
        raise VerifyError("bad-input", f"cannot write the plot {path}: {e}") from None
    finally:
        plt.close(fig)
