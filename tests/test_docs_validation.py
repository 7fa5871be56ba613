"""docs/validation.md cannot go stale: its generated blocks are what the script computes now.

Every number of the page that a run or a theory function produces sits in a block written by
`docs/validation_runs.py` (`--write`). The check (`--check`) recomputes the blocks from the
committed code, with the scenarios' fixed seeds, and compares them with the page; here it runs
in-process, once (about two minutes of one core), and the other tests reuse its blocks.
The two slow blocks (`--finite-size`, `--agents-engine`) are not recomputed here.
"""

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _module(name: str, path: Path):
    """The module at `path`, loaded once per session (tests/test_validation.py loads it too)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


V = _module("validation_runs", ROOT / "docs/validation_runs.py")
pages = V.pages


@pytest.fixture(scope="module")
def checked():
    """`validation_runs.main(["--check"])` on the committed page: (exit status, its blocks)."""
    computed: dict[str, str] = {}
    real = V.generated_blocks

    def recording(slow=()):
        computed.update(real(slow))
        return dict(computed)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(V, "generated_blocks", recording)
        status = V.main(["--check"])
    return status, computed


@pytest.fixture
def blocks(checked):
    return dict(checked[1])


def _page_copy(tmp_path: Path, text: str | None = None) -> Path:
    page = tmp_path / "validation.md"
    page.write_text(V.PAGE.read_text(encoding="utf-8") if text is None else text, "utf-8")
    return page


def test_validation_page_is_what_the_script_computes(checked):
    status, blocks = checked
    on_page = pages.blocks_in(V.PAGE.read_text(encoding="utf-8"))
    # The check computed every block but the slow ones, and the page has exactly those.
    assert set(blocks) == set(on_page) - set(V.SLOW)
    assert set(V.SLOW) <= set(on_page)
    for name, body in blocks.items():
        # Compared block by block first, so that a failure names the stale block.
        assert on_page[name] == body.rstrip("\n") + "\n", (
            f"block {name!r} of docs/validation.md is stale: "
            "run python docs/validation_runs.py --write"
        )
    assert status == 0


def test_the_check_fails_when_one_digit_of_the_page_changes(blocks, tmp_path, capsys):
    text = V.PAGE.read_text(encoding="utf-8")
    si = pages.blocks_in(text)["si"]
    # The first digit of the table's first row (step 1: exact E[I_1], a number, not a label).
    row = si.index("| 1 | ")
    i = row + re.search(r"\d", si[row + len("| 1 | ") :]).start() + len("| 1 | ")
    wrong = si[:i] + str((int(si[i]) + 1) % 10) + si[i + 1 :]
    assert wrong != si
    page = _page_copy(tmp_path, text.replace(si, wrong))
    capsys.readouterr()
    assert V.update_page(page, blocks, check=True) == 1
    err = capsys.readouterr().err
    assert "validation.md is stale" in err
    assert "\n-" + wrong[row:].splitlines()[0] in err  # the diff shows the changed row
    # --write repairs it.
    assert V.update_page(page, blocks, check=False) == 0
    assert page.read_text(encoding="utf-8") == text


def test_the_command_line_writes_checks_and_prints(blocks, tmp_path, monkeypatch, capsys):
    # main's flags, on a copy of the page, with the blocks already computed.
    monkeypatch.setattr(V, "generated_blocks", lambda slow=(): dict(blocks))
    text = V.PAGE.read_text(encoding="utf-8")
    monkeypatch.setattr(V, "PAGE", _page_copy(tmp_path))
    assert V.main(["--check"]) == 0
    name = next(iter(blocks))
    V.PAGE.write_text(text.replace(pages.blocks_in(text)[name], "stale\n"), "utf-8")
    assert V.main(["--check"]) == 1
    assert V.main(["--write"]) == 0
    assert V.PAGE.read_text(encoding="utf-8") == text
    capsys.readouterr()
    assert V.main([]) == 0
    out = capsys.readouterr().out
    assert all(body in out for body in blocks.values())
    with pytest.raises(SystemExit):
        V.main(["--write", "--check"])


def test_slow_blocks_are_kept_unless_asked_for(blocks, tmp_path):
    text = V.PAGE.read_text(encoding="utf-8")
    slow = pages.blocks_in(text)["finite-size"]
    edited = text.replace(slow, slow + "hand edit\n")
    page = _page_copy(tmp_path, edited)
    # Without --finite-size, --check does not look at that block and --write keeps it.
    assert V.update_page(page, blocks, check=True) == 0
    assert V.update_page(page, blocks, check=False) == 0
    assert page.read_text(encoding="utf-8") == edited
    # Given the block, it is checked like the others.
    assert V.update_page(page, blocks | {"finite-size": slow}, check=True) == 1


def test_page_and_script_must_agree_on_the_block_names(blocks, tmp_path):
    text = V.PAGE.read_text(encoding="utf-8")
    kept = {name: body for name, body in pages.blocks_in(text).items() if name in V.SLOW}
    pages.fill(text, blocks | kept)  # the same names: no complaint
    # A block the script writes but the page lacks.
    with pytest.raises(ValueError, match=r"the page lacks: \['extra'\]"):
        pages.fill(text, blocks | kept | {"extra": "1\n"})
    # A block in the page that the script does not write (renamed by hand).
    renamed = text.replace("<!-- begin si:", "<!-- begin si-old:").replace(
        "<!-- end si -->", "<!-- end si-old -->"
    )
    with pytest.raises(ValueError, match=r"lacks: \['si'\]; .* does not write: \['si-old'\]"):
        V.update_page(_page_copy(tmp_path, renamed), blocks, check=True)
