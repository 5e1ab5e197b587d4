"""Generate docs/rules/: one Markdown page per rule and an index, from the rule registry.

    python tools/rule_pages.py          # rewrite docs/rules/ (stale pages are removed)
    python tools/rule_pages.py --check  # exit 1 if docs/rules/ differs from the registry

Every page is the rule's own docstring (what `gil-lint rule GILNNN` and the editor's hover
show), its metadata, and its VALID/INVALID examples — the same snippets the test suite runs,
so the page cannot promise behaviour the tests do not check. tests/test_docs.py regenerates
the pages in memory and compares them with the committed files.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "docs" / "rules"
COMMAND = "python tools/rule_pages.py"
GENERATED = f"<!-- Generated from the rule registry by `{COMMAND}`: do not edit. -->"

if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

from gil_lint.cli import default_text  # noqa: E402
from gil_lint.diagnostics import FILE_ERROR, INTERNAL_ERROR, SYNTAX_ERROR  # noqa: E402
from gil_lint.rules import Rule, all_rules  # noqa: E402

FIX_TEXT = {
    "safe": "safe (`gil-lint --fix`)",
    "unsafe": "unsafe (`gil-lint --fix --unsafe-fixes`)",
    None: "none",
}


def _code_block(source: str) -> str:
    fence = "```"
    while fence in source:  # a snippet holding ``` must not close the block
        fence += "`"
    return f"{fence}python\n{source.rstrip()}\n{fence}"


def _example(example: object) -> tuple[str, str | None, bool]:
    """(source, fixed source or None, fix is unsafe) of a VALID/INVALID entry: a string or
    an ``Example`` (read by attribute, so fields added later do not break the pages)."""
    if isinstance(example, str):
        return example, None, False
    source = getattr(example, "code", None)
    if not isinstance(source, str):
        raise TypeError(f"cannot render example {example!r}: no `code` string")
    fixed = getattr(example, "fixed", None)
    unsafe = bool(getattr(example, "unsafe", False))
    return source, fixed if isinstance(fixed, str) else None, unsafe


def _examples(rule: type[Rule]) -> Iterable[str]:
    yield "## Examples from the test suite"
    yield (
        "Each snippet below is run by the test suite against this rule: the flagged ones "
        "must be reported (and, where a fixed version is shown, fixed to exactly that), "
        "the others must not."
    )
    yield "### Flagged"
    for n, example in enumerate(rule.INVALID, 1):
        source, fixed, unsafe = _example(example)
        yield f"**{n}.**\n\n{_code_block(source)}"
        if fixed is not None:
            how = "--fix --unsafe-fixes" if unsafe else "--fix"
            yield f"After `gil-lint {how}`:\n\n{_code_block(fixed)}"
    yield "### Not flagged"
    for n, example in enumerate(rule.VALID, 1):
        source, _, _ = _example(example)
        yield f"**{n}.**\n\n{_code_block(source)}"


def rule_page(rule: type[Rule]) -> str:
    parts = [
        GENERATED,
        f"# {rule.CODE}: {rule.NAME}",
        "\n".join(
            [
                f"- **Flags**: {rule.BRIEF}",
                f"- **Fix**: {FIX_TEXT[rule.FIX]}",
                f"- **Default**: {default_text(rule)}",
                f"- **Severity**: {rule.SEVERITY}",
                f"- **Message** (`{{...}}` filled in per finding): {rule.MESSAGE}",
                f"- **Disable**: `# noqa: {rule.CODE}` on the line, or "
                f'`ignore = ["{rule.CODE}"]` under `[tool.gil-lint]`',
            ]
        ),
        rule.docs(),
        *_examples(rule),
    ]
    return "\n\n".join(parts) + "\n"


def index_page(rules: Iterable[type[Rule]]) -> str:
    rows = ["| code | name | flags | fix |", "|---|---|---|---|"]
    rows += [
        f"| [{r.CODE}]({r.CODE}.md) | {r.NAME} | {r.BRIEF}"
        f"{'' if r.DEFAULT else ' (off by default)'} | {r.FIX or '—'} |"
        for r in rules
    ]
    parts = [
        GENERATED,
        "# gil-lint rules",
        "One page per rule: what it flags, why, what to write instead, how its fix behaves, "
        "and the examples the test suite checks. `gil-lint rule GILNNN` prints the same "
        "text in the terminal.",
        "\n".join(rows),
        "Engine diagnostics (not rules, no page): "
        f"{SYNTAX_ERROR} a file does not parse, {FILE_ERROR} a file cannot be read or "
        f"decoded (or is over `max-file-size`), {INTERNAL_ERROR} an internal error — "
        "please report it.",
    ]
    return "\n\n".join(parts) + "\n"


def render_pages() -> dict[str, str]:
    """File name (under docs/rules/) → content, for every page."""
    rules = all_rules()
    pages = {f"{r.CODE}.md": rule_page(r) for r in rules}
    pages["README.md"] = index_page(rules)
    return pages


def stale_pages(pages: dict[str, str], directory: Path = PAGES) -> list[str]:
    """The files of ``directory`` that differ from ``pages``, are missing, or are extra."""
    present = {p.name for p in directory.glob("*.md")} if directory.is_dir() else set()
    names = sorted(present | set(pages))
    return [
        name
        for name in names
        if name not in pages
        or name not in present
        or (directory / name).read_text(encoding="utf-8") != pages[name]
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale pages")
    ns = parser.parse_args(argv)
    pages = render_pages()
    stale = stale_pages(pages)
    if ns.check:
        for name in stale:
            print(f"docs/rules/{name} is out of date: run `{COMMAND}`", file=sys.stderr)
        return 1 if stale else 0
    PAGES.mkdir(parents=True, exist_ok=True)
    for name in stale:
        path = PAGES / name
        if name in pages:
            path.write_text(pages[name], encoding="utf-8", newline="\n")
        else:
            path.unlink()
        print(f"{'wrote' if name in pages else 'removed'} docs/rules/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
