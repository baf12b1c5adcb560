"""Benchmark: ED-PINN accuracy and speed per backend, mode and seed, beside the classical baselines.

A sweep (:mod:`pinn_inverse.sweep`) of the built-in ``ed_pinn`` runner: for each cell (backend,
mode, seed) the paper's setting is simulated (three shells, 32 Fibonacci electrodes, 0.5 %
noise, the default smoothed dipole), ED-PINN is trained, and the dipole fit and sLORETA run on
the same measurements. Cells run two at a time with one thread each (``--workers``), each in a
fresh process; rerunning the same command skips the finished cells, so an interrupted benchmark
resumes and more seeds can be added later. The sweep folder
``benchmarks/results/sweeps/eeg_ed_pinn_<preset>_<formulation>[_source]`` gets one record per
cell, the aggregate (``aggregate.json``, ``.md``, ``.png``), ``benchmark.json`` (the commit and
versions measured) and ``tables.md``, the benchmarks page's tables made from the aggregate
(:mod:`eeg_ed_pinn_table`).

    python benchmarks/eeg_ed_pinn.py --backends tensorflow pytorch --modes known free dipole \\
        --seeds 0 1 2 3 4

``--position`` and ``--moment`` move the source away from the paper's (a held-out phantom for
settings chosen on the default one).
"""

import argparse
import json
import sys
from pathlib import Path

from pinn_inverse.backend import SUPPORTED

sys.path.insert(0, str(Path(__file__).parent))
import sweep_benchmark  # noqa: E402 (the shared part of the benchmarks beside this one)
from eeg_ed_pinn_table import tables  # noqa: E402 (the table script beside this one)

PAPER = {"localization_error_mm": 6.3, "rel_l2_volume": 2.14e4}


def spec(args):
    """The sweep's SPEC: backends × modes × seeds, the other options as one-value settings."""
    fixed = {"preset": args.preset}
    for name in ("formulation", "iterations", "lbfgs", "weights"):
        if getattr(args, name) is not None:
            fixed[name] = getattr(args, name)
    if args.position is not None:
        fixed["position_mm"] = args.position
    if args.moment is not None:
        fixed["moment_nAm"] = args.moment
    grid = {"backend": args.backends, "mode": args.modes, **{k: [v] for k, v in fixed.items()}}
    return {"runner": "ed_pinn", "grid": grid, "seeds": args.seeds}


def main(argv=None):
    # imported here, not above: the sweep's workers are spawned processes that import this
    # script again, and this import starts DeepXDE's backend before a cell could choose its own
    from pinn_inverse.eeg.ed_pinn import FORMULATIONS, MODES, PRESETS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", choices=SUPPORTED, default=list(SUPPORTED))
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="default")
    parser.add_argument("--formulation", choices=FORMULATIONS, default=None)
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--lbfgs", type=int, default=None)
    sweep_benchmark.add_arguments(parser)
    parser.add_argument(
        "--weights",
        type=json.loads,
        default=None,
        help="loss weights to change, as JSON, e.g. '{\"data\": 0}' (a physics-only forward solve)",
    )
    parser.add_argument(
        "--position",
        type=float,
        nargs=3,
        default=None,
        metavar=("X", "Y", "Z"),
        help="source position in mm (default: the paper's, 10 0 0)",
    )
    parser.add_argument(
        "--moment",
        type=float,
        nargs=3,
        default=None,
        metavar=("PX", "PY", "PZ"),
        help="source moment in nA·m (default: 0 10 0)",
    )
    args = parser.parse_args(argv)
    formulation = args.formulation or PRESETS[args.preset].formulation
    tag = "" if args.position is None and args.moment is None else "_source"
    folder = args.out / f"eeg_ed_pinn_{args.preset}_{formulation}{tag}"
    return sweep_benchmark.run(spec(args), folder, args, PAPER, lambda f: tables([f]))


if __name__ == "__main__":
    sys.exit(main())
