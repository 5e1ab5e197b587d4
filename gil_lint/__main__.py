import os
import sys

# `python -m gil_lint` puts the working directory first on sys.path, so a project's own
# json.py or ast.py would shadow the standard library modules gil-lint imports (and a
# lint run would die importing them). Drop it, unless gil-lint itself lives there (a
# checkout run in place): this package is already imported, its submodules are found
# through it.
_here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if sys.path and sys.path[0] in ("", os.getcwd()) and os.path.abspath(sys.path[0]) != _here:
    del sys.path[0]

from gil_lint.cli import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
