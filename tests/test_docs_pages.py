"""docs/findings.md cannot go stale: its blocks are what docs/findings.py gives for this code.

The script reruns the page's comparison (six scenarios, 40 replications, the same seeds as
the page), the removal analysis and the shipped sensitivity sweep (Morris, 84 points x 3
replications); every number of the page is in a generated block (see
docs/pages.py), so comparing the blocks compares every number. Runs are deterministic for a
seed, so the comparison is exact, not within a tolerance.
"""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))

import findings  # noqa: E402
import pages  # noqa: E402


@pytest.fixture(scope="module")
def blocks():
    numbers = findings.compare(workers=2)
    curves = findings.removal(findings.REMOVAL_REPLICATIONS)
    return findings.make_blocks(numbers, curves, findings.sensitivity(workers=2))


def test_findings_page_matches_what_the_script_gives_for_this_code(blocks):
    # Sections 10 and 11 are checked by tests/test_docs_misinformation.py (another worker).
    page = findings.PAGE.read_text(encoding="utf-8")
    assert set(pages.blocks_in(page)) == set(blocks) | {"misinformation", "stifling"}
    for name, text in blocks.items():
        assert pages.blocks_in(page)[name] == text.rstrip("\n") + "\n", (
            f"docs/findings.md block {name!r} is stale: run python docs/findings.py --write"
        )


def test_the_check_fails_when_one_digit_of_the_page_changes(blocks, tmp_path):
    page = findings.PAGE.read_text(encoding="utf-8")
    # The first number inside the first block, one digit changed.
    start = page.index("<!-- begin spread")
    m = re.compile(r"\d\.\d(\d)").search(page, start)
    digit = m.group(1)
    altered = page[: m.start(1)] + str((int(digit) + 1) % 10) + page[m.end(1) :]
    copy = tmp_path / "findings.md"
    copy.write_text(altered, encoding="utf-8")
    # The page's own misinformation blocks stand in for those (checked in their own file).
    whole = blocks | {k: v for k, v in pages.blocks_in(page).items() if k not in blocks}
    assert pages.write_or_check(copy, whole, check=True) == 1
    copy.write_text(page, encoding="utf-8")
    assert pages.write_or_check(copy, whole, check=True) == 0


def test_no_result_is_quoted_outside_the_generated_blocks():
    # Prose may name parameters (0.6, 0.8, 500 learners) but no outcome: every decimal
    # outside the blocks must be a parameter value of the shipped scenario files.
    page = findings.PAGE.read_text(encoding="utf-8")
    outside = re.sub(r"<!-- begin .*?<!-- end [\w-]+ -->", "", page, flags=re.S)
    decimals = set(re.findall(r"\b\d+\.\d+\b", outside))
    files = [*findings.SCENARIOS.values(), *findings.misinformation.MISINFORMATION.values()]
    yaml = "".join((ROOT / p).read_text() for p in files)
    assert all(d in yaml for d in decimals), sorted(d for d in decimals if d not in yaml)


def test_a_claim_the_numbers_do_not_support_stops_the_script():
    assert findings.claim(True, "a  b\n c") == "- a b c"
    with pytest.raises(findings.StaleClaim, match="rewrite it"):
        findings.claim(False, "the hybrid spreads slowest")


def test_filling_refuses_a_page_whose_blocks_differ_from_the_script():
    page = "a\n<!-- begin x: w -->\nold\n<!-- end x -->\nb\n"
    assert pages.fill(page, {"x": "new"}) == "a\n<!-- begin x: w -->\nnew\n<!-- end x -->\nb\n"
    with pytest.raises(ValueError, match=r"lacks: \['y'\]"):
        pages.fill(page, {"x": "new", "y": "other"})
    with pytest.raises(ValueError, match=r"does not write: \['x'\]"):
        pages.fill(page, {})
