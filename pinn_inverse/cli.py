"""The ``pinn-inverse`` command.

``pinn-inverse info`` prints the software environment; ``pinn-inverse run PROBLEM`` runs one
problem's pipeline and writes ``report.json`` and PNG figures to ``--out``. Each problem is a
module ``pinn_inverse.<problem>.pipeline`` with ``add_arguments(parser)`` and
``run(args) -> dict``, and optionally ``check(args)``, which raises ValueError on a bad option
before any work (shown as a usage error; ``args.fail`` shows one found later); the command
finds the ones that exist. ``pinn-inverse sweep SPEC`` runs a study of seeds × settings
(:mod:`pinn_inverse.sweep`) on a local pool or a Ray cluster.
"""

import argparse
import importlib
import importlib.util
import os
import sys
from pathlib import Path

from .backend import SUPPORTED, check_requested, set_backend
from .io import RunTimer, versions, write_json

PROBLEMS = ("eeg", "ecg", "eit")


def available_problems():
    """The problems whose pipeline module is installed."""
    return [
        p
        for p in PROBLEMS
        if importlib.util.find_spec(f"pinn_inverse.{p}")
        and importlib.util.find_spec(f"pinn_inverse.{p}.pipeline")
    ]


def info():
    """Versions of Python, DeepXDE, TensorFlow, PyTorch, the active backend and CPU threads."""
    from .backend import backend_name

    out = versions()
    out["backend"] = backend_name()
    out["cpu_threads"] = len(os.sched_getaffinity(0))
    return out


def _parser(with_problems=True):
    """The command's parser; ``with_problems=False`` leaves out ``run``'s problems, whose pipeline
    modules import DeepXDE (seconds) and which ``sweep`` does not need."""
    parser = argparse.ArgumentParser(prog="pinn-inverse", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend", choices=SUPPORTED, help="DeepXDE backend (default: DDE_BACKEND)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("info", help="print versions, the backend and the number of CPU threads")
    run = commands.add_parser("run", help="run one problem and write report.json and figures")
    problems = run.add_subparsers(dest="problem", required=True)
    for name in available_problems() if with_problems else ():
        module = importlib.import_module(f"pinn_inverse.{name}.pipeline")
        sub = problems.add_parser(name, help=module.__doc__.splitlines()[0])
        sub.add_argument("--quick", action="store_true", help="small sizes, for a demo or CI")
        sub.add_argument("--seed", type=int, default=0, help="seed of every random step")
        sub.add_argument("--out", type=Path, default=Path("results") / name, help="output folder")
        sub.add_argument("--backend", choices=SUPPORTED, help="DeepXDE backend")
        module.add_arguments(sub)
        sub.set_defaults(fail=sub.error)
    _add_sweep(commands)
    return parser


def _add_sweep(commands):
    sweep = commands.add_parser(
        "sweep",
        help="run seeds × settings of a runner from a YAML/JSON SPEC, resumably",
        description="Run every (settings, seed) cell of SPEC that has no finished record in "
        "--out, then write the aggregate; rerunning resumes an interrupted sweep.",
    )
    sweep.add_argument("spec", type=Path, help="the SPEC file (YAML or JSON)")
    sweep.add_argument(
        "--engine", choices=("local", "ray"), default="local", help="where cells run"
    )
    sweep.add_argument("--address", help="Ray cluster address for --engine ray (e.g. auto)")
    sweep.add_argument("--workers", type=int, help="cells at once (default: the CPU cores)")
    sweep.add_argument("--out", type=Path, help="sweep folder (default: results/sweeps/SPEC)")
    sweep.add_argument(
        "--report", action="store_true", help="only aggregate the records there are, run nothing"
    )
    sweep.add_argument("--backend", choices=SUPPORTED, help="DeepXDE backend")
    sweep.set_defaults(fail=sweep.error)


def _sweep(args):
    from . import sweep

    out = args.out or Path("results") / "sweeps" / args.spec.stem
    try:
        spec = sweep.load_spec(args.spec)
        sweep.check_engine(args.engine, args.workers, args.address)
    except (ValueError, TypeError, ImportError) as err:
        args.fail(str(err))
    if args.report:
        print("wrote " + ", ".join(map(str, sweep.report(spec, out))))
        return 0
    summary = sweep.run(spec, out, engine=args.engine, workers=args.workers, address=args.address)
    print(summary)
    return summary.exit_code


def _command(argv):
    """The subcommand, read before the full parser is built (see :func:`_parser`)."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--backend", choices=SUPPORTED)
    early.add_argument("command", nargs="?")
    return early.parse_known_args(argv)[0].command


def _requested_backend(argv):
    """The value of ``--backend``, wherever it is on the command line.

    Building the full parser imports the pipelines and with them DeepXDE, which fixes the
    backend; so the backend is read, and set, first.
    """
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--backend", choices=SUPPORTED)
    return early.parse_known_args(argv)[0].backend


def main(argv=None):
    check_requested()
    argv = sys.argv[1:] if argv is None else argv
    backend = _requested_backend(argv)
    if backend:
        set_backend(backend)
    args = _parser(with_problems=_command(argv) != "sweep").parse_args(argv)
    if args.command == "sweep":
        return _sweep(args)
    if args.command == "info":
        for key, value in info().items():
            print(f"{key:>14}: {value}")
        return 0
    module = importlib.import_module(f"pinn_inverse.{args.problem}.pipeline")
    try:
        getattr(module, "check", lambda args: None)(args)
    except (ValueError, TypeError) as err:
        args.fail(str(err))
    args.out.mkdir(parents=True, exist_ok=True)
    with RunTimer() as timer:
        report = module.run(args)
    report.update(
        problem=args.problem,
        quick=args.quick,
        seed=args.seed,
        versions=info(),
        wall_time_s=timer.wall_time_s,
        peak_memory_mb=timer.peak_memory_mb,
    )
    path = write_json(args.out / "report.json", report)
    print(f"wrote {path} and {len(report.get('figures', []))} figure(s) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
