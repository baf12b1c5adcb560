"""The ``pinn-inverse`` command.

``pinn-inverse info`` prints the software environment; ``pinn-inverse run PROBLEM`` runs one
problem's pipeline and writes ``report.json`` and PNG figures to ``--out``. Each problem is a
module ``pinn_inverse.<problem>.pipeline`` with ``add_arguments(parser)`` and
``run(args) -> dict``; the command finds the ones that exist.
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


def _parser():
    parser = argparse.ArgumentParser(prog="pinn-inverse", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend", choices=SUPPORTED, help="DeepXDE backend (default: DDE_BACKEND)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("info", help="print versions, the backend and the number of CPU threads")
    run = commands.add_parser("run", help="run one problem and write report.json and figures")
    problems = run.add_subparsers(dest="problem", required=True)
    for name in available_problems():
        module = importlib.import_module(f"pinn_inverse.{name}.pipeline")
        sub = problems.add_parser(name, help=module.__doc__.splitlines()[0])
        sub.add_argument("--quick", action="store_true", help="small sizes, for a demo or CI")
        sub.add_argument("--seed", type=int, default=0, help="seed of every random step")
        sub.add_argument("--out", type=Path, default=Path("results") / name, help="output folder")
        sub.add_argument("--backend", choices=SUPPORTED, help="DeepXDE backend")
        module.add_arguments(sub)
    return parser


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
    backend = _requested_backend(sys.argv[1:] if argv is None else argv)
    if backend:
        set_backend(backend)
    args = _parser().parse_args(argv)
    if args.command == "info":
        for key, value in info().items():
            print(f"{key:>14}: {value}")
        return 0
    module = importlib.import_module(f"pinn_inverse.{args.problem}.pipeline")
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
