"""What a verification produces: a :class:`VerifyReport`, or a :class:`VerifyError`.

The child process only measures (raw rounds); everything here is computed in the
parent, so the report's arithmetic is testable without running user code.
"""

from __future__ import annotations

import signal
import statistics
from dataclasses import asdict, dataclass
from typing import Any, Literal

Kind = Literal["thread", "async"]
Claim = Literal["cpu-bound", "io-bound", "blocks-event-loop"]
Status = Literal["confirmed", "not_confirmed", "inconclusive"]
ErrorKind = Literal["bad-input", "user-exception", "exit", "memory", "crash", "timeout"]

# JSON shape version: bump on any incompatible change to ``VerifyReport.to_dict``.
REPORT_VERSION = 1


class VerifyError(Exception):
    """A verification that produced no verdict: bad input, or user code that failed.

    ``kind`` lets callers (CLI, language server) react without parsing the message;
    the message is one line meant for humans.
    """

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message}


def describe_exit(returncode: int | None) -> str:
    """How a process running user code ended, when it should not have ended at all."""
    if returncode is None:
        return "user code ended a process in an unknown way"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        maybe_oom = ", maybe out of memory" if -returncode == signal.SIGKILL else ""
        return f"user code crashed the interpreter ({name}{maybe_oom})"
    return f"user code exited with status {returncode}"


@dataclass(frozen=True)
class ModeResult:
    """One way of running the call (sequential, threads, ...), medians over rounds."""

    name: str
    wall_s: float
    cpu_s: float
    utilisation: float
    speedup: float | None
    rounds_wall_s: tuple[float, ...]
    # cores' worth of CPU other processes used meanwhile: explains noisy results
    background_cores: float
    worst_stall_ms: float | None = None

    @classmethod
    def from_rounds(
        cls, name: str, rounds: list[dict[str, float]], baseline_wall_s: float | None
    ) -> ModeResult:
        """Medians of the child's raw rounds; ``speedup`` is against ``baseline_wall_s``."""
        wall = statistics.median(r["wall_s"] for r in rounds)
        cpu = statistics.median(r["cpu_s"] for r in rounds)
        stalls = [r["stall_ms"] for r in rounds if r.get("stall_ms") is not None]
        return cls(
            name=name,
            wall_s=wall,
            cpu_s=cpu,
            utilisation=cpu / wall if wall > 0 else 0.0,
            speedup=baseline_wall_s / wall if baseline_wall_s is not None and wall > 0 else None,
            rounds_wall_s=tuple(r["wall_s"] for r in rounds),
            background_cores=statistics.median(r["background_cores"] for r in rounds),
            worst_stall_ms=statistics.median(stalls) if stalls else None,
        )

    @property
    def spread(self) -> float:
        """(max - min) / median of the rounds' wall times: 0 when steady."""
        if len(self.rounds_wall_s) < 2 or self.wall_s <= 0:
            return 0.0
        return (max(self.rounds_wall_s) - min(self.rounds_wall_s)) / self.wall_s


@dataclass(frozen=True)
class Verdict:
    status: Status
    detail: str

    @property
    def label(self) -> str:
        return self.status.replace("_", " ")


@dataclass(frozen=True)
class VerifyReport:
    """Everything measured and concluded about one callable (JSON: ``to_dict``)."""

    path: str
    function: str
    call: str
    kind: Kind
    claim: Claim
    finding: str | None
    line: int | None
    python: str
    gil_enabled: bool
    cores: int
    workers: int
    rounds: int
    modes: tuple[ModeResult, ...]
    verdict: Verdict

    def mode(self, name: str) -> ModeResult:
        for m in self.modes:
            if m.name == name:
                return m
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": REPORT_VERSION,
            "target": {
                "path": self.path,
                "function": self.function,
                "call": self.call,
                "kind": self.kind,
                "finding": self.finding,
                "line": self.line,
            },
            "environment": {
                "python": self.python,
                "gil_enabled": self.gil_enabled,
                "cores": self.cores,
                "workers": self.workers,
                "rounds": self.rounds,
            },
            "claim": self.claim,
            "modes": [_mode_dict(m) for m in self.modes],
            "verdict": {"status": self.verdict.status, "detail": self.verdict.detail},
        }


def _mode_dict(m: ModeResult) -> dict[str, Any]:
    d = asdict(m)
    d["rounds_wall_s"] = list(m.rounds_wall_s)
    return d
