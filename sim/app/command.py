"""The `app` subcommand of `run.py`: its options, and serving after every check.

Nothing here imports Solara: `run.py --help` and the other commands work without the app
extra, and `run.py app` without it exits 2 with one line naming the extra.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.scenario import ScenarioError

from . import DEFAULT_SCENARIOS, INSTALL_HINT, missing_extra


def add_app_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `app` subparser (the caller sets its handler) and return it."""
    app = sub.add_parser(
        "app",
        help=f"the interactive browser app ({INSTALL_HINT})",
        description=(
            "Serve the interactive app (docs/app.md): one or two scenarios stepped in lockstep "
            "on one seed, their tie networks and curves, with controls validated like the "
            f"files. Needs the app extra: {INSTALL_HINT}."
        ),
    )
    app.add_argument(
        "scenarios",
        type=Path,
        nargs="*",
        help="one or two scenario YAML files, side by side (default: "
        "scenarios/social_network.yaml and scenarios/closed_community.yaml)",
    )
    app.add_argument("--port", type=int, default=8765, help="the port (default: 8765)")
    app.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default: 127.0.0.1, this machine only)",
    )
    app.set_defaults(parser=app)
    return app


def serve_command(paths: list[Path], host: str = "127.0.0.1", port: int = 8765) -> list[str]:
    """Check the extra, the files and the port, then serve until interrupted.

    Returns:
        The problems (one line each: the command exits 2), or [] once the server stopped.
    """
    missing = missing_extra()
    if missing:
        return [missing]
    paths = list(paths) or list(DEFAULT_SCENARIOS)
    if len(paths) > 2:
        return [f"app: give one or two scenario files (got {len(paths)})"]
    try:
        from .session import Session

        Session(paths)  # every file validated (and built) before the server starts
    except ScenarioError as exc:
        return exc.problems
    from . import server

    if not server.port_free(host, port):
        return [f"app: port {port} on {host} is in use; choose another with --port"]
    print(f"serving the app at http://{host}:{port}/ (Ctrl+C stops it)", flush=True)
    try:
        server.serve(paths, host=host, port=port)
    except KeyboardInterrupt:
        pass
    return []
