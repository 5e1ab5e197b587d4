"""Start-up cost: a lint with nothing to fix never imports libcst (~0.1 s)."""

from __future__ import annotations

import subprocess
import sys


def test_a_lint_without_fixes_does_not_import_libcst(tmp_path):
    clean = tmp_path / "clean.py"
    clean.write_text("import asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n")
    code = (
        "import sys\n"
        "from gil_lint.cli import main\n"
        f"status = main([{str(clean)!r}, '--no-cache'])\n"
        "assert status == 0, status\n"
        "print('libcst' in sys.modules)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip().splitlines()[-1] == "False"


def test_a_fix_imports_libcst_on_first_use(tmp_path):
    from gil_lint.engine.lint import lint_source

    diags = lint_source("import time\n\nasync def f():\n    time.sleep(1)\n", "m.py")
    fix = diags[0].fix
    assert fix is not None and "await asyncio.sleep(1)" in fix.edits[0].content
