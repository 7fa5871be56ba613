"""Generated blocks of the documentation pages, so that no number on a page can go stale.

A page (docs/findings.md, docs/validation.md) is prose written by hand around blocks that a
script writes:

    <!-- begin NAME: written by docs/SCRIPT.py, do not edit -->
    ...
    <!-- end NAME -->

The script computes every block from the committed code and either writes them into the page
(``--write``) or compares them with the page (``--check``, exit status 1 and a diff when a
block differs). ``tests/test_docs_pages.py`` and ``tests/test_docs_validation.py`` run the
check, so a commit that changes what the scripts produce without regenerating the pages fails.
"""

from __future__ import annotations

import difflib
import re
import sys
from pathlib import Path

import pandas as pd

_BLOCK = re.compile(
    r"(?P<head><!-- begin (?P<name>[\w-]+)[^>]*-->\n)(?P<body>.*?)(?P<tail><!-- end (?P=name) -->)",
    re.S,
)


def blocks_in(text: str) -> dict[str, str]:
    """The generated blocks of a page: name -> content (between the markers)."""
    return {m["name"]: m["body"] for m in _BLOCK.finditer(text)}


def fill(text: str, blocks: dict[str, str], page: str = "page") -> str:
    """The page with each block's content replaced by `blocks[name]`.

    Raises:
        ValueError: if the page and the script disagree on which blocks exist.
    """
    present = set(blocks_in(text))
    if present != set(blocks):
        missing, extra = sorted(set(blocks) - present), sorted(present - set(blocks))
        raise ValueError(
            f"{page}: blocks the script writes but the page lacks: {missing}; "
            f"blocks in the page the script does not write: {extra}"
        )

    def body(m: re.Match[str]) -> str:
        content = blocks[m["name"]].rstrip("\n") + "\n"
        return m["head"] + content + m["tail"]

    return _BLOCK.sub(body, text)


def write_or_check(page: Path, blocks: dict[str, str], check: bool) -> int:
    """Write the blocks into `page`, or (``check``) compare; 0 if equal or written, else 1."""
    text = page.read_text(encoding="utf-8")
    new = fill(text, blocks, page.name)
    if not check:
        page.write_text(new, encoding="utf-8")
        print(f"wrote {page}")
        return 0
    if new == text:
        print(f"{page.name}: every generated block matches")
        return 0
    diff = difflib.unified_diff(
        text.splitlines(), new.splitlines(), f"{page.name} (committed)", "script", lineterm=""
    )
    print(f"{page.name} is stale: regenerate it with --write", file=sys.stderr)
    print("\n".join(diff), file=sys.stderr)
    return 1


def markdown(rows: list[dict[str, object]], columns: list[str] | None = None) -> str:
    """Rows as a Markdown table (columns in the order of the first row unless given)."""
    cols = columns or (list(rows[0]) if rows else [])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def number(x: float, digits: int = 3) -> str:
    """A number to `digits` significant figures, without exponent for page-sized values."""
    if pd.isna(x):
        return "nan"
    x = float(x)
    if x == 0:
        return "0"
    if abs(x) >= 10**digits:
        return f"{x:,.0f}".replace(",", " ")
    return f"{x:#.{digits}g}".rstrip(".")


def signed(x: float, digits: int = 3) -> str:
    """`number` with its sign, e.g. "+0.570"."""
    text = number(x, digits)
    return text if text.startswith("-") else f"+{text}"
