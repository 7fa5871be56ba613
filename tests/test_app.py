"""The browser app (`run.py app`, docs/app.md): its session logic, its command line, and the
page itself driven in a real headless Chromium (skipped, with the reason, when the app extra
or a chromium executable is missing)."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.app
from sim import cli
from sim.app.layout import (
    COMMUNITY_STRONG,
    COMMUNITY_WEAK,
    MAX_DRAWN,
    STRONG,
    WEAK,
    tie_styles,
)
from sim.app.session import Session
from sim.engines import make_model
from sim.experiment.jobs import replication_seeds
from sim.scenario import load_scenario
from sim.world.ties import TieOrigin

ROOT = Path(__file__).resolve().parent.parent
SOCIAL = "scenarios/social_network.yaml"
CLOSED = "scenarios/closed_community.yaml"


@pytest.fixture
def at_root(monkeypatch):
    """Run from the repository root, so scenario paths read as the README writes them."""
    monkeypatch.chdir(ROOT)


def cli_problems(capsys, *args: str) -> list[str]:
    """The lines `run.py` prints for an invalid command line (it exits 2 before running)."""
    capsys.readouterr()
    assert cli.main(list(args)) == 2
    return capsys.readouterr().err.splitlines()


# ------------------------------------------------------------------------- the session


@pytest.mark.parametrize("text", ["-1", "abc", "2"])
def test_a_bad_value_gets_run_pys_message_and_changes_nothing(at_root, capsys, text):
    session = Session([SOCIAL, CLOSED])
    session.advance(2)
    model = session.sides[0].model
    problems = session.set_value(0, "ties.decay", text)
    assert problems == cli_problems(capsys, SOCIAL, "--set", f"ties.decay={text}")
    assert problems and session.errors == problems
    assert session.sides[0].model is model and session.step == 2
    assert session.sides[0].overrides == {}
    assert session.sides[0].text("ties.decay") == text  # shown as typed until fixed


def test_a_bad_seed_gets_run_pys_message(at_root, capsys):
    session = Session([SOCIAL])
    problems = session.set_seed("-3")
    assert problems == cli_problems(capsys, SOCIAL, "--seed", "-3")
    assert session.seed == "20261122"


def test_a_valid_value_restarts_both_scenarios_on_the_shared_seed(at_root):
    session = Session([SOCIAL, CLOSED])
    session.advance(3)
    assert [s.model.steps for s in session.sides] == [3, 3]
    assert session.set_value(1, "help.p_ask", "0.3") == []
    assert session.step == 0 and session.errors == []
    assert session.sides[1].scenario.help.p_ask == 0.3
    assert session.sides[0].scenario.help.p_ask == 0.1
    assert session.set_seed("7") == []
    assert [s.scenario.seed for s in session.sides] == [7, 7]


def test_the_page_shows_replication_zero_of_run_py(at_root):
    session = Session([CLOSED])
    session.set_seed("11")
    session.advance(4)
    scenario = load_scenario(CLOSED, ["seed=11"])
    model = make_model(scenario, rng=replication_seeds(11, 1)[0])
    for _ in range(4):
        model.step()
    pd.testing.assert_frame_equal(
        pd.DataFrame(session.sides[0].model.rows), pd.DataFrame(model.rows)
    )


def test_the_saved_yaml_is_the_scenario_run_py_reads(at_root, tmp_path):
    session = Session([SOCIAL, CLOSED])
    assert session.set_value(0, "network.bridges_per_agent", "1.5") == []
    assert session.set_value(0, "community.enabled", "true") == []
    assert session.set_seed("99") == []
    path = tmp_path / "saved.yaml"
    path.write_text(session.sides[0].yaml_text())
    saved = load_scenario(path)
    assert saved == session.sides[0].scenario
    assert saved.network.bridges_per_agent == 1.5 and saved.community.enabled
    assert saved.seed == 99
    sets = ["network.bridges_per_agent=1.5", "community.enabled=true", "seed=99"]
    assert saved == load_scenario(SOCIAL, sets)


def test_the_layout_stays_while_ties_form_and_dissolve(at_root):
    session = Session([CLOSED])
    side = session.sides[0]
    pos = side.view.pos.copy()
    before = len(side.model.ties)
    session.advance(15)
    assert len(side.model.ties) != before
    assert np.array_equal(side.view.pos, pos)
    session.relayout()
    assert not np.array_equal(side.view.pos, pos)
    assert side.view.pos.min() >= 0 and side.view.pos.max() <= 1


def test_a_large_population_draws_a_fixed_sample(at_root):
    from sim.app import drawing

    session = Session([SOCIAL])
    assert session.set_value(0, "population.n_agents", str(MAX_DRAWN + 500)) == []
    view = session.sides[0].view
    assert view.sampled and len(view.nodes) == MAX_DRAWN
    assert len(np.unique(view.nodes)) == MAX_DRAWN
    i, j, _ = view.ties(session.sides[0].model)
    assert 0 < len(i) < len(session.sides[0].model.ties)
    assert max(i.max(), j.max()) < MAX_DRAWN
    nodes = view.nodes.copy()
    session.reset()
    assert np.array_equal(session.sides[0].view.nodes, nodes)
    fig = drawing.network_figure(session.sides[0].model, view, title="big")
    assert "2,000 of 2,500" in fig.texts[0].get_text()


def test_ties_are_weak_strong_or_community():
    strength = np.array([0.1, 0.9, 0.1, 0.9, 0.9, 0.2])
    origin = np.array(
        [
            TieOrigin.INITIAL,
            TieOrigin.TRIADIC,
            TieOrigin.COMMUNITY,
            TieOrigin.HELP,
            TieOrigin.CHANCE,
            TieOrigin.HELP,
        ]
    )
    got = tie_styles(strength, origin, 0.5).tolist()
    assert got == [WEAK, STRONG, COMMUNITY_WEAK, COMMUNITY_STRONG, STRONG, COMMUNITY_WEAK]


def test_the_curves_overlay_the_scenarios(at_root):
    from sim.app import drawing

    session = Session([SOCIAL, CLOSED])
    session.advance(3)
    fig = drawing.curves_figure([(s.name, s.model.rows) for s in session.sides])
    spread = fig.axes[0]
    assert [line.get_label() for line in spread.lines] == ["social_network", "closed_community"]
    assert list(spread.lines[1].get_ydata()) == [
        r["share_aware"] for r in session.sides[1].model.rows
    ]
    assert len(fig.axes[3].lines) == 4  # weak and strong ties of each scenario
    assert drawing.png(fig)[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------------- the command line


def test_without_the_extra_app_exits_2_with_the_install_line(monkeypatch, capsys):
    monkeypatch.setattr(sim.app.importlib.util, "find_spec", lambda name: None)
    assert cli.main(["app"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and 'pip install -e ".[app]"' in err[0]


def test_app_refuses_a_bad_scenario_before_serving(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("ties:\n  decay: 3\n")
    assert cli.main(["app", str(bad)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{bad}: ties.decay: must be between 0 and 1 (got 3)"
    ]


def test_app_takes_at_most_two_scenarios(capsys):
    assert cli.main(["app", SOCIAL, CLOSED, SOCIAL]) == 2
    assert "one or two scenario files" in capsys.readouterr().err


# ------------------------------------------------------------------------- in a browser

BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _chromium() -> str | None:
    """Debian's chromium (or $CHROMIUM_PATH): the test never downloads a browser."""
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        shutil.which("chromium"),
        "/usr/bin/chromium",
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app_url(tmp_path):
    """`run.py app` of the two scenarios on a free port; terminated afterwards, always."""
    if sim.app.missing_extra():
        pytest.skip('the app extra is not installed: pip install -e ".[app]"')
    pytest.importorskip("playwright", reason='playwright missing: pip install -e ".[app]"')
    if _chromium() is None:
        pytest.skip("no chromium executable: apt-get install chromium (or set CHROMIUM_PATH)")
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    command = [sys.executable, "run.py", "app", SOCIAL, CLOSED, "--port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the app did not answer within 60 s"
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
        log.close()


def _changed(locator, before: bytes, timeout: float = 15.0) -> bytes:
    """The element's picture once it differs from `before` (fails after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        now = locator.screenshot()
        if now != before or time.monotonic() > deadline:
            return now
        time.sleep(0.3)


def test_the_app_in_a_headless_browser(app_url, tmp_path, at_root, capsys):
    from playwright.sync_api import expect, sync_playwright

    bad = cli_problems(capsys, SOCIAL, "--set", "ties.decay=-1")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
            page.goto(app_url)
            step = page.locator(".lt-step")
            curves = page.locator(".lt-curves").first
            network = page.locator(".lt-network-1").first  # closed_community: ties form
            expect(curves).to_be_visible(timeout=60_000)
            expect(step).to_have_text("step 0")
            curves0, network0 = curves.screenshot(), network.screenshot()
            ties0 = page.locator(".lt-ties-1").inner_text()
            last0 = page.locator(".lt-last").inner_text()
            for k in (1, 2, 3):
                page.get_by_role("button", name="Step").click()
                expect(step).to_have_text(f"step {k}", timeout=15_000)
            assert _changed(curves, curves0) != curves0, "the plots did not change"
            assert _changed(network, network0) != network0, "the network did not change"
            assert page.locator(".lt-ties-1").inner_text() != ties0
            assert page.locator(".lt-last").inner_text() != last0

            page.get_by_role("button", name="Run").click()
            page.wait_for_function(  # it steps on its own: 4, 5, 6, ...
                "() => +document.querySelector('.lt-step').textContent.split(' ')[1] >= 6",
                timeout=20_000,
            )
            page.get_by_role("button", name="Pause").click()
            expect(page.get_by_role("button", name="Run")).to_be_visible(timeout=10_000)
            paused = step.inner_text()
            time.sleep(1.0)
            assert step.inner_text() == paused, "it kept stepping after Pause"

            decay = page.locator(".lt-side-0").get_by_label("tie decay")
            decay.fill("-1")
            decay.press("Enter")
            expect(page.locator(".lt-error")).to_have_text(bad, timeout=15_000)
            assert step.inner_text() == paused  # a refused value changes nothing

            decay.fill("0.02")
            decay.press("Enter")
            expect(page.locator(".lt-error")).to_have_count(0, timeout=15_000)
            expect(step).to_have_text("step 0", timeout=15_000)  # a valid value restarts
            page.get_by_role("button", name="Step").click()
            expect(step).to_have_text("step 1", timeout=15_000)
            with page.expect_download(timeout=15_000) as download:
                page.get_by_text("Save social_network.yaml").click()
            saved = tmp_path / "saved.yaml"
            download.value.save_as(saved)
            assert load_scenario(saved) == load_scenario(SOCIAL, ["ties.decay=0.02"])

            shot = tmp_path / "app.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
        finally:
            browser.close()
