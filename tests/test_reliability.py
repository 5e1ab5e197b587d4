"""Bad input at scale: huge files, deep nesting, fixing many findings, and ``--fix`` killed
mid-run (every file is the old or the new content, never half; no temp file is linted)."""

from __future__ import annotations

import time

from gil_lint.config import Settings
from gil_lint.fixes import fix_source

ALL = Settings(select=("ALL",), target_gil="enabled")


# -- fixing many findings ------------------------------------------------------------------
def _many_fixes(n: int) -> str:
    # n module-level names and n fixable calls: each fix looked up asyncio among every
    # module binding, and checked its span against every span taken (both quadratic)
    defs = "".join(f"def h{i}():\n    pass\n" for i in range(n))
    return "import time\n" + defs + "async def f():\n" + "    time.sleep(1)\n" * n


def _fix_seconds(source: str, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        result = fix_source(source, "many.py", ALL)
        best = min(best, time.perf_counter() - start)
    assert "time.sleep" not in result.source
    return best


def test_fixing_scales_linearly_with_the_number_of_fixes():
    small, large = _fix_seconds(_many_fixes(1000), 3), _fix_seconds(_many_fixes(8000), 2)
    # 8x the fixes: linear is ~8x the time; the quadratic version took ~25x
    print(f"1,000 fixes {small:.2f} s, 8,000 fixes {large:.2f} s ({large / small:.1f}x)")
    assert large / small < 16, (small, large)
