"""The command line behind `run.py`: run a scenario or sweep, compare scenarios, redraw figures.

python run.py [run] SCENARIO.yaml [options]    a scenario, or a sweep if it has a sweep block
python run.py compare A.yaml B.yaml [options]  scenarios on shared seeds, paired differences
python run.py plot RESULTS_DIR                 redraw the figures from the saved tables
python run.py sensitivity SWEEP_DIR            sensitivity indices of a finished sweep
python run.py export RESULTS_DIR --graphml     the saved tie networks as GraphML files
python run.py removal RESULTS_DIR              tie removal on the saved final tie networks
python run.py app [SCENARIO.yaml ...]          the interactive browser app (pip install -e ".[app]")
python run.py --version                        the version (and git commit, in a checkout)

`python -m sim ...` and the installed `learning-ties ...` command are the same command line.

Argument parsing and reporting only: the work is done by `sim.api` (which runs through
`sim.experiment`).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from sim import api, kernel_cache
from sim.analysis.stats import format_table
from sim.analysis.structure import ALL_ORDERS
from sim.app.command import add_app_parser, serve_command  # no Solara until serving
from sim.experiment import ExecutorError
from sim.experiment.manifest import git_commit
from sim.experiment.orchestrate import Options, failure_lines, summary_text
from sim.experiment.spec import Spec, compare_spec, compared_files, resume_spec, scenario_spec
from sim.experiment.storage import ResultsFolder
from sim.scenario import ScenarioError
from sim.version import __version__

EXIT_OK = 0
EXIT_ALL_FAILED = 1
EXIT_INVALID = 2
EXIT_INTERRUPTED = 130

SUBCOMMANDS = ("run", "compare", "plot", "sensitivity", "export", "removal", "app")
"""The subcommands; a command line starting with anything else is a `run`."""

TOP_LEVEL_OPTIONS = ("-h", "--help", "--version")
"""Options of the command line itself (not of `run`)."""


def _at_least_one(text: str) -> int:
    """A whole number >= 1 (argparse reports anything else as an invalid value)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def _common_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--replications", type=int, metavar="N", help="override replications")
    p.add_argument("--steps", type=int, metavar="N", help="override steps")
    p.add_argument("--seed", type=int, metavar="N", help="override the root seed")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("results"),
        metavar="DIR",
        help="results root (default: results/)",
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.FIELD=VALUE",
        help="override a field, validated like the file (repeatable), e.g. --set ties.decay=0.02",
    )
    p.add_argument(
        "--workers",
        type=_at_least_one,
        metavar="N",
        help="processes running replications in parallel (default: all cores; 1 = serial)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask distributed cluster, e.g. tcp://10.0.0.5:8786 (pip install .[cluster])",
    )
    p.add_argument(
        "--resume",
        type=Path,
        metavar="DIR",
        help="finish the unfinished runs of this results folder (default: an unfinished folder "
        "of the same experiment is found and resumed); refused if DIR holds a different "
        "scenario (more --replications are fine), unless --force",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="with --resume: resume DIR even if its scenario differs from the command's (its "
        "runs with a known key are reused, its tables rewritten)",
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="if another run.py is running into the same results folder, wait for it to finish "
        "(then resume that folder) instead of exiting with status 2",
    )
    p.add_argument(
        "--allow-large",
        action="store_true",
        help="run even if the estimated memory or number of runs exceeds the limits",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary table")
    p.add_argument("--no-figures", action="store_true", help="skip writing figures/")


def version_text() -> str:
    """``learning-ties <version>``, and ``(git <commit>)`` when run from a git checkout."""
    commit = git_commit()
    return f"learning-ties {__version__}" + (f" (git {commit})" if commit else "")


class _VersionAction(argparse.Action):
    """``--version``: print `version_text` and exit (git is asked only when it is given)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):  # noqa: D102
        print(version_text())
        parser.exit()


def build_parser(prog: str = "run.py") -> argparse.ArgumentParser:
    """The argument parser of the command line, with one subparser per `SUBCOMMANDS` entry.

    Args:
        prog: the command as the user typed it (``run.py``, ``python -m sim``,
            ``learning-ties``), shown in usage and error lines.
    """
    p = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Run scenarios and write results/<name>/<UTC stamp>/ with scenario.yaml, "
            "manifest.json, timeseries.parquet, ties.parquet, summary.csv, points.csv (sweeps) "
            "and figures/. "
            f"'{prog} SCENARIO.yaml' means '{prog} run SCENARIO.yaml'."
        ),
    )
    p.add_argument(
        "--version", action=_VersionAction, help="print the version (and git commit) and exit"
    )
    sub = p.add_subparsers(dest="command", title="commands")
    run = sub.add_parser(
        "run",
        help="run a scenario, or every point of its sweep block",
        description=(
            "Run a scenario's replications (or every point of its sweep block) and write "
            "results/<name>/<UTC stamp>/ with scenario.yaml, manifest.json, timeseries.parquet, "
            "ties.parquet (the tie networks), summary.csv, points.csv (sweeps) and figures/."
        ),
    )
    run.add_argument(
        "scenario", type=Path, nargs="?", help="scenario YAML file (optional with --resume)"
    )
    _common_options(run)
    run.set_defaults(handler=_cmd_run, parser=run)
    compare = sub.add_parser(
        "compare",
        help="run scenarios on shared seeds; paired differences",
        description=(
            "Run scenarios on shared seeds (the first scenario's root seed and replications) and "
            "write results/compare/<UTC stamp>/ with overlay figures and differences.csv: paired "
            "differences against the first scenario with confidence intervals and effect sizes."
        ),
    )
    compare.add_argument(
        "scenarios", type=Path, nargs="*", help="scenario YAML files, baseline first"
    )
    _common_options(compare)
    compare.set_defaults(handler=_cmd_compare, parser=compare)
    plot = sub.add_parser(
        "plot",
        help="redraw a results folder's figures from its tables",
        description="Redraw a results folder's figures from its saved tables.",
    )
    plot.add_argument("folder", type=Path, help="a results folder")
    plot.set_defaults(handler=_cmd_plot, parser=plot)
    sens = sub.add_parser(
        "sensitivity",
        help="sensitivity indices of a finished sweep's outcomes",
        description=(
            "Which swept parameters drive each outcome, by the sweep design's own estimator "
            "(sobol_indices: Sobol' S1 and ST; morris: mu_star and sigma; any other design: "
            "PAWN and RBD-FAST S1), on the mean over replications per point, intervals "
            "including replication noise, and the share of each outcome's variance that is "
            "noise. Writes sensitivity.csv and figures/sensitivity_<outcome>.png into the "
            "folder; nothing is rerun."
        ),
    )
    sens.add_argument("folder", type=Path, help="a sweep's results folder")
    sens.add_argument(
        "--outcome",
        dest="outcomes",
        action="append",
        metavar="COLUMN",
        help="a summary column to analyse (repeatable; default: every outcome but times)",
    )
    sens.add_argument("--quiet", action="store_true", help="no printed table")
    sens.set_defaults(handler=_cmd_sensitivity, parser=sens)
    _tie_commands(sub)
    add_app_parser(sub).set_defaults(handler=_cmd_app)
    return p


def _tie_commands(sub: argparse._SubParsersAction) -> None:
    """The subcommands on a results folder's saved tie networks: export, removal."""
    exp = sub.add_parser(
        "export",
        help="write the saved tie networks as GraphML files",
        description=(
            "Write one GraphML file per run (and point) of a results folder's saved tie "
            "networks (ties.parquet) into RESULTS_DIR/export/: learners as nodes, ties as "
            "edges with strength, kind, origin and formed_step. Nothing is rerun."
        ),
    )
    exp.add_argument("folder", type=Path, help="a results folder")
    exp.add_argument(
        "--graphml", action="store_true", required=True, help="GraphML (the only format)"
    )
    exp.add_argument(
        "--step", type=int, metavar="N", help="the snapshot step (default: each run's last)"
    )
    exp.set_defaults(handler=_cmd_export, parser=exp)
    rem = sub.add_parser(
        "removal",
        help="tie removal on the saved final tie networks",
        description=(
            "Remove the ties of each run's final tie network (ties.parquet; nothing is rerun) "
            "weakest-first and strongest-first by strength and by Onnela's overlap; write "
            "removal.csv (largest component and susceptibility against the share removed), "
            "removal_collapse.csv (share removed at the susceptibility peak per order, mean "
            "and 95% t interval over replications) and figures/removal.png."
        ),
    )
    rem.add_argument("folder", type=Path, help="a results folder")
    rem.add_argument(
        "--order",
        dest="orders",
        action="append",
        choices=ALL_ORDERS,
        help="a removal order (repeatable; default: all four)",
    )
    rem.add_argument("--no-figures", action="store_true", help="skip figures/removal.png")
    rem.add_argument("--quiet", action="store_true", help="no printed table")
    rem.set_defaults(handler=_cmd_removal, parser=rem)


def main(argv: list[str] | None = None, *, prog: str = "run.py") -> int:
    """Entry point of `run.py` (and of `python -m sim`, `learning-ties`); the exit status.

    0: done (some runs may have failed: see failures.csv); 1: every run failed; 2: invalid
    input, a results folder in use by another process (see --wait), or --resume of a folder
    holding another scenario (see --force); 130: interrupted (finished runs are kept; rerun
    to resume).

    Args:
        argv: the arguments (default: the process's).
        prog: the command's name in usage and error lines.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0] not in (*SUBCOMMANDS, *TOP_LEVEL_OPTIONS):
        args_list = ["run", *args_list]  # `run.py FILE.yaml` and `run.py --resume DIR`
    args = build_parser(prog).parse_args(args_list)
    return args.handler(args, argv)


def learning_ties() -> int:
    """The installed ``learning-ties`` command (`[project.scripts]`): `main` by that name."""
    return main(prog="learning-ties")


def _overrides(args: argparse.Namespace) -> list[str]:
    return api.shortcut_overrides(args.overrides, args.replications, args.steps, args.seed)


def _fail(problems: list[str]) -> int:
    for line in problems:
        print(line, file=sys.stderr)
    return EXIT_INVALID


def _cmd_run(args: argparse.Namespace, argv: list[str] | None) -> int:
    """`run.py [run] SCENARIO.yaml`: a scenario, or every point of its sweep block."""
    if args.scenario is None and args.resume is None:
        args.parser.error("a scenario file (or --resume DIR) is required")
    try:
        if args.scenario is None:
            spec = resume_spec(args.resume, _overrides(args))
        else:
            spec = scenario_spec(args.scenario, _overrides(args))
    except ScenarioError as exc:
        return _fail(exc.problems)
    except KeyboardInterrupt:
        print("\ninterrupted: no results written", file=sys.stderr)
        return EXIT_INTERRUPTED
    return _execute(spec, args, argv)


def _cmd_compare(args: argparse.Namespace, argv: list[str] | None) -> int:
    """`run.py compare A.yaml B.yaml ...`: scenarios on shared seeds, paired differences."""
    paths = list(args.scenarios)
    try:
        if not paths and args.resume is not None:
            paths = compared_files(args.resume)
        spec = compare_spec(paths, _overrides(args))
    except ScenarioError as exc:
        return _fail(exc.problems)
    return _execute(spec, args, argv)


def _cmd_sensitivity(args: argparse.Namespace, argv: list[str] | None) -> int:
    """`run.py sensitivity SWEEP_DIR`: indices from a finished sweep's tables."""
    try:
        table = api.sensitivity_analysis(args.folder, args.outcomes)
    except ScenarioError as exc:
        return _fail(exc.problems)
    except (OSError, ValueError, KeyError) as exc:
        return _fail([f"{args.folder}: cannot read the sweep's tables: {exc}"])
    if not args.quiet:
        print(sensitivity_text(table))
    print(f"results: {args.folder / 'sensitivity.csv'}")
    return EXIT_OK


SENSITIVITY_HEADINGS = {
    "ST": "Sobol' total index ST (95% interval incl. replication noise) and first-order S1",
    "mu_star": "Morris mu_star (mean |elementary effect| per whole range; 95% interval incl. "
    "replication noise) and sigma",
    "pawn": "PAWN index (median KS distance; 95% interval incl. replication noise) and "
    "S1 (RBD-FAST)",
}
"""Heading of the printed table, by the index that orders the parameters."""

SECOND = {"ST": "S1", "mu_star": "sigma", "pawn": "S1"}
"""The index printed beside the ordering one."""

TOP = 6
"""Parameters printed per outcome (the rest are in sensitivity.csv)."""


def sensitivity_text(table) -> str:
    """Per outcome, the top parameters by total effect (95 % interval) and the noise share."""
    present = set(table["index"])
    key = next((k for k in SENSITIVITY_HEADINGS if k in present), "pawn")
    second = SECOND[key]
    lines = [SENSITIVITY_HEADINGS[key] + "; share of variance between replications (noise):"]
    for outcome, part in table.groupby("outcome", sort=False):
        noise = part.loc[part["index"] == "noise_share", "value"]
        lines.append(f"{outcome}  (noise share {float(noise.iloc[0]):.2f})")
        ranked = part[part["index"] == key].sort_values("value", ascending=False)
        other = part[part["index"] == second].set_index("parameter")["value"]
        for r in ranked.head(TOP).itertuples(index=False):
            lines.append(
                f"  {r.parameter:<32} {key} {r.value:.3f} [{r.ci_lo:.3f}, {r.ci_hi:.3f}]"
                f"  {second} {other.get(r.parameter, float('nan')):.3f}"
            )
        if len(ranked) > TOP:
            lines.append(f"  ... {len(ranked) - TOP} more in sensitivity.csv")
    return "\n".join(lines)


def _cmd_export(args: argparse.Namespace, argv: list[str] | None) -> int:
    """`run.py export RESULTS_DIR --graphml`: the saved tie networks as GraphML files."""
    try:
        written = api.export_graphml(args.folder, step=args.step)
    except ScenarioError as exc:
        return _fail(exc.problems)
    except (OSError, ValueError, KeyError) as exc:
        return _fail([f"{args.folder}: cannot read the saved tie networks: {exc}"])
    for path in written:
        print(path)
    return EXIT_OK


def _cmd_removal(args: argparse.Namespace, argv: list[str] | None) -> int:
    """`run.py removal RESULTS_DIR`: tie removal on the saved final tie networks."""
    try:
        res = api.removal_analysis(
            args.folder, orders=args.orders or ALL_ORDERS, figures=not args.no_figures
        )
    except ScenarioError as exc:
        return _fail(exc.problems)
    except (OSError, ValueError, KeyError) as exc:
        return _fail([f"{args.folder}: cannot read the saved tie networks: {exc}"])
    if not args.quiet:
        print(
            "share of ties removed at the collapse (susceptibility peak), over replications "
            "(mean, sd, 95% t interval, min, max):"
        )
        print(format_table(res.collapse))
    for path in res.files:
        print(f"results: {path}")
    return EXIT_OK


def _cmd_plot(args: argparse.Namespace, argv: list[str] | None) -> int:
    """`run.py plot RESULTS_DIR`: redraw the figures of a results folder from its tables."""
    try:
        written = api.plot_results(args.folder)
    except (OSError, ValueError, KeyError) as exc:
        return _fail([f"{args.folder}: cannot redraw figures: {exc}"])
    for path in written:
        print(path)
    return EXIT_OK


def _cmd_app(args: argparse.Namespace, argv: list[str] | None) -> int:
    """`run.py app [SCENARIO.yaml ...]`: serve the browser app until interrupted."""
    problems = serve_command(args.scenarios, host=args.host, port=args.port)
    return _fail(problems) if problems else EXIT_OK


def _notice(line: str) -> None:
    """Print a notice of the run (waiting for a folder, a damaged run file) to stderr."""
    print(line, file=sys.stderr, flush=True)


def _execute(spec: Spec, args: argparse.Namespace, argv: list[str] | None) -> int:
    """Open (or resume) the results folder, run what is missing, and report."""
    for note in spec.notes:
        print(note, file=sys.stderr)
    if not args.quiet:
        kernel_cache.announce_if_cold()  # one line on a first run: the kernels compile
    opened: list[ResultsFolder] = []

    def on_folder(folder: ResultsFolder, resumed: bool) -> None:
        opened.append(folder)
        if resumed and not args.quiet:
            print(f"resuming {folder.path}", file=sys.stderr)

    options = Options(
        workers=args.workers,
        scheduler=args.scheduler,
        progress=not args.quiet,
        figures=not args.no_figures,
        command=shlex.join(["run.py", *(sys.argv[1:] if argv is None else argv)]),
        wait=args.wait,
        force=args.force,
        notify=_notice,
        allow_large=args.allow_large,
    )
    try:
        res = api.run_spec(
            spec, out=args.out, resume=args.resume, options=options, on_folder=on_folder
        )
    except ScenarioError as exc:
        return _fail(exc.problems)
    except KeyboardInterrupt:
        if not opened:
            print("\ninterrupted: no results written", file=sys.stderr)
        else:
            where = opened[0].path
            print(
                f"\ninterrupted: finished runs are kept in {where}; rerun the same "
                f"command (or --resume {where}) to finish",
                file=sys.stderr,
            )
        return EXIT_INTERRUPTED
    except (ExecutorError, OSError) as exc:
        where = f"; finished runs are kept in {opened[0].path}" if opened else ""
        print(f"error: {exc}{where}", file=sys.stderr)
        return EXIT_ALL_FAILED
    assert res.manifest is not None
    if not args.quiet and not res.summary.empty:
        print(summary_text(spec, res.summary, res.differences))
    if not args.quiet and res.sensitivity is not None:
        print(sensitivity_text(res.sensitivity))
    for line in failure_lines(res.failures, res.manifest["runs"]):
        print(line, file=sys.stderr)
    print(f"results: {res.folder}")
    return EXIT_ALL_FAILED if res.manifest["finished"] == 0 and res.manifest["runs"] > 0 else 0
