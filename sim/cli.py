"""The command line behind `run.py`: run a scenario or sweep, compare scenarios, redraw figures.

python run.py [run] SCENARIO.yaml [options]    a scenario, or a sweep if it has a sweep block
python run.py compare A.yaml B.yaml [options]  scenarios on shared seeds, paired differences
python run.py plot RESULTS_DIR                 redraw the figures from the saved tables

Argument parsing and reporting only: the work is done by `sim.api` (which runs through
`sim.experiment`).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from sim import api
from sim.experiment import ExecutorError
from sim.experiment.orchestrate import Options, failure_lines, summary_text
from sim.experiment.spec import Spec, compare_spec, compared_files, resume_spec, scenario_spec
from sim.experiment.storage import ResultsFolder
from sim.scenario import ScenarioError

EXIT_OK = 0
EXIT_ALL_FAILED = 1
EXIT_INVALID = 2
EXIT_INTERRUPTED = 130

SUBCOMMANDS = ("run", "compare", "plot", "sensitivity")


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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `run.py`, with the subcommands run, compare and plot."""
    p = argparse.ArgumentParser(
        prog="run.py",
        description=(
            "Run scenarios and write results/<name>/<UTC stamp>/ with scenario.yaml, "
            "manifest.json, timeseries.parquet, summary.csv, points.csv (sweeps) and figures/. "
            "'run.py SCENARIO.yaml' means 'run.py run SCENARIO.yaml'."
        ),
    )
    sub = p.add_subparsers(dest="command", metavar="{run,compare,plot}")
    run = sub.add_parser(
        "run",
        help="run a scenario's replications, or every point of its sweep block",
        description=(
            "Run a scenario's replications (or every point of its sweep block) and write "
            "results/<name>/<UTC stamp>/ with scenario.yaml, manifest.json, timeseries.parquet, "
            "summary.csv, points.csv (sweeps) and figures/."
        ),
    )
    run.add_argument(
        "scenario", type=Path, nargs="?", help="scenario YAML file (optional with --resume)"
    )
    _common_options(run)
    run.set_defaults(handler=_cmd_run, parser=run)
    compare = sub.add_parser(
        "compare",
        help="run scenarios on shared seeds and their paired differences",
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
        help="redraw a results folder's figures from its saved tables",
        description="Redraw a results folder's figures from its saved tables.",
    )
    plot.add_argument("folder", type=Path, help="a results folder")
    plot.set_defaults(handler=_cmd_plot, parser=plot)
    sens = sub.add_parser(
        "sensitivity",
        help="sensitivity indices of a finished sweep, from its saved tables",
        description=(
            "Which swept parameters drive each outcome: PAWN and RBD-FAST first-order indices "
            "on the mean over replications per point, intervals including replication noise, "
            "and the share of each outcome's variance that is noise. Writes sensitivity.csv "
            "and figures/sensitivity_<outcome>.png into the folder; nothing is rerun."
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
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status.

    0: done (some runs may have failed: see failures.csv); 1: every run failed; 2: invalid
    input, a results folder in use by another process (see --wait), or --resume of a folder
    holding another scenario (see --force); 130: interrupted (finished runs are kept; rerun
    to resume).
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0] not in (*SUBCOMMANDS, "-h", "--help"):
        args_list = ["run", *args_list]  # `run.py FILE.yaml` and `run.py --resume DIR`
    args = build_parser().parse_args(args_list)
    return args.handler(args, argv)


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


def sensitivity_text(table) -> str:
    """Per outcome, the parameters by PAWN index (95 % interval) and the noise share."""
    lines = [
        "PAWN index (median KS distance; 95% interval incl. replication noise), "
        "S1 (RBD-FAST), and the share of variance between replications:"
    ]
    for outcome, part in table.groupby("outcome", sort=False):
        noise = part.loc[part["index"] == "noise_share", "value"]
        lines.append(f"{outcome}  (noise share {float(noise.iloc[0]):.2f})")
        pawn = part[part["index"] == "pawn"].sort_values("value", ascending=False)
        s1 = part[part["index"] == "S1"].set_index("parameter")["value"]
        for r in pawn.itertuples(index=False):
            lines.append(
                f"  {r.parameter:<32} pawn {r.value:.3f} [{r.ci_lo:.3f}, {r.ci_hi:.3f}]"
                f"  S1 {s1.get(r.parameter, float('nan')):.3f}"
            )
    return "\n".join(lines)


def _cmd_plot(args: argparse.Namespace, argv: list[str] | None) -> int:
    """`run.py plot RESULTS_DIR`: redraw the figures of a results folder from its tables."""
    try:
        written = api.plot_results(args.folder)
    except (OSError, ValueError, KeyError) as exc:
        return _fail([f"{args.folder}: cannot redraw figures: {exc}"])
    for path in written:
        print(path)
    return EXIT_OK


def _notice(line: str) -> None:
    """Print a notice of the run (waiting for a folder, a damaged run file) to stderr."""
    print(line, file=sys.stderr, flush=True)


def _execute(spec: Spec, args: argparse.Namespace, argv: list[str] | None) -> int:
    """Open (or resume) the results folder, run what is missing, and report."""
    for note in spec.notes:
        print(note, file=sys.stderr)
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
    for line in failure_lines(res.failures, res.manifest["runs"]):
        print(line, file=sys.stderr)
    print(f"results: {res.folder}")
    return EXIT_ALL_FAILED if res.manifest["finished"] == 0 and res.manifest["runs"] > 0 else 0
