"""``python -m gil_lint.verify ARGS`` is ``gil-lint verify ARGS``."""

import sys

from gil_lint.verify import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
