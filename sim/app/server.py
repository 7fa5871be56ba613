"""Start the app's Solara server (`python run.py app`): 127.0.0.1 only, unless told otherwise.

Imports Solara: call only when `sim.app.missing_extra()` is None. Solara's own telemetry and
its check for a newer version are switched off (the page works offline: `solara-assets`
serves its scripts).
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from .page import SCENARIOS_ENV

PAGE = "sim.app.page"
"""The module holding the page (its `Page` component)."""


def port_free(host: str, port: int) -> bool:
    """Whether a server could listen on (host, port) now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def serve(paths: list[Path], host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve the page of these scenarios at http://host:port/ until interrupted.

    Args:
        paths: one or two scenario files (validated by the caller).
        host: the address to listen on (127.0.0.1: this machine only).
        port: the port.
    """
    os.environ[SCENARIOS_ENV] = json.dumps([str(p) for p in paths])
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    from solara.__main__ import run  # noqa: PLC0415 - the extra is checked by the caller

    args = [PAGE, "--host", host, "--port", str(port), "--production", "--no-open"]
    run.main([*args, "--no-check-version"], prog_name="run.py app", standalone_mode=False)
