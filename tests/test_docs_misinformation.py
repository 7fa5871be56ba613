"""docs/findings.md sections 10 and 11 cannot go stale: their blocks are what the script gives.

The misinformation comparison (five scenarios, 10 replications) and the losing-interest
comparison (the four shipped setups with and without stifling, 10 replications) are rerun on
the page's seeds by `findings.misinformation_blocks`; runs are deterministic for a seed, so
the comparison is exact. A file of its own so that pytest-xdist runs it beside the rest of
the page's check (tests/test_docs_pages.py) instead of after it.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))

import findings  # noqa: E402
import pages  # noqa: E402


def test_misinformation_sections_match_what_the_script_gives_for_this_code():
    blocks = findings.misinformation_blocks(workers=2)
    page = pages.blocks_in(findings.PAGE.read_text(encoding="utf-8"))
    assert set(blocks) == {"misinformation", "stifling"}
    for name, text in blocks.items():
        assert page[name] == text.rstrip("\n") + "\n", (
            f"docs/findings.md block {name!r} is stale: run python docs/findings.py --write"
        )
