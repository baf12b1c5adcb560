"""Benchmark: ED-PINN accuracy and speed per mode and seed, beside the classical baselines.

For each seed, the paper's setting is simulated (three shells, 32 Fibonacci electrodes, 0.5 %
noise, the default smoothed dipole) and ED-PINN is trained in each requested mode on the active
DeepXDE backend; the dipole fit and sLORETA run on the same measurements in the same run.
Writes benchmarks/results/eeg_ed_pinn_<backend>_<preset>_<formulation>.json with every run and
mean ± std.

    DDE_BACKEND=pytorch python benchmarks/eeg_ed_pinn.py --modes known dipole --seeds 0 1 2

``--position`` and ``--moment`` move the source away from the paper's (a held-out phantom for
settings chosen on the default one).
"""

import argparse
import dataclasses
import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np

from pinn_inverse.backend import backend_name, set_threads
from pinn_inverse.eeg import Dipole, ThreeShellHead, dipole_fit, fibonacci_electrodes, sloreta
from pinn_inverse.eeg.ed_pinn import FORMULATIONS, MODES, PRESETS, ed_pinn
from pinn_inverse.eeg.evaluate import evaluate
from pinn_inverse.eeg.simulate import simulate
from pinn_inverse.io import versions, write_json
from pinn_inverse.metrics import localization_error


def summary(values):
    values = np.asarray([v for v in values if v is not None], dtype=float)
    if not values.size:
        return None
    return {"mean": float(values.mean()), "std": float(values.std()), "n": int(values.size)}


def report(args, preset, source, runs):
    """The JSON report: every run, and mean ± std per mode and metric."""
    modes = [mode for mode in args.modes if any(r["mode"] == mode for r in runs)]
    table = {
        mode: {
            key: summary([r[key] for r in runs if r["mode"] == mode])
            for key in (
                "localization_error_mm",
                "centroid_error_mm",
                "rel_l2_volume",
                "rel_l2_data_fit",
                "wall_s",
                "run_s",
                "adam_step_s",
                "lbfgs_s",
                "dipole_fit_error_mm",
                "sloreta_error_mm",
            )
        }
        for mode in modes
    }
    return {
        "backend": backend_name(),
        "preset": args.preset,
        "formulation": preset.formulation,
        "source": {
            "position_mm": (1e3 * np.asarray(source.position)).tolist(),
            "moment_nAm": (1e9 * np.asarray(source.moment)).tolist(),
        },
        "weights": preset.weights,
        "iterations": args.iterations or preset.iterations,
        "lbfgs": preset.lbfgs if args.lbfgs is None else args.lbfgs,
        "threads": args.threads or os.cpu_count(),
        "resample_period": preset.resample_period,
        "commit": commit(),
        "versions": versions(),
        "runs": runs,
        "summary": table,
        "paper": {"localization_error_mm": 6.3, "rel_l2_volume": 2.14e4},
    }


def commit():
    """The git commit of the code measured (None outside a checkout)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="default")
    parser.add_argument("--formulation", choices=FORMULATIONS, default=None)
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--lbfgs", type=int, default=None)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: all)")
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
    if args.threads:
        set_threads(args.threads)
    head, source = ThreeShellHead(), Dipole()
    if args.position:
        source = dataclasses.replace(source, position=tuple(1e-3 * np.asarray(args.position)))
    if args.moment:
        source = dataclasses.replace(source, moment=tuple(1e-9 * np.asarray(args.moment)))
    electrodes = fibonacci_electrodes(32, head.radius)
    preset = PRESETS[args.preset]
    if args.formulation:
        preset = preset.replace(formulation=args.formulation)
    if args.weights:
        unknown = set(args.weights) - set(preset.weights)
        if unknown:
            known = sorted(preset.weights)
            parser.error(f"--weights: unknown terms {sorted(unknown)}; known: {known}")
        preset = preset.replace(weights={**preset.weights, **args.weights})
    tag = "" if args.position is None and args.moment is None else "_source"
    name = f"eeg_ed_pinn_{backend_name()}_{args.preset}_{preset.formulation}{tag}.json"
    out, runs = args.out / name, []
    for seed in args.seeds:
        sim = simulate(head, source, electrodes, noise=0.005, seed=seed, grid_n=preset.eval_grid)
        fit = dipole_fit(head, electrodes, sim.measurements, noise_std=sim.noise_std)
        slor = sloreta(head, electrodes, sim.measurements, noise_std=sim.noise_std)
        for mode in args.modes:
            begin = time.perf_counter()
            problem = ed_pinn(
                head,
                electrodes,
                sim.measurements,
                source=source,
                mode=mode,
                preset=preset,
                seed=seed,
            )
            start = time.perf_counter()
            problem.train(iterations=args.iterations, lbfgs=args.lbfgs, progress=False)
            wall = time.perf_counter() - start
            metrics = evaluate(problem, sim)
            run = {
                "seed": seed,
                "mode": mode,
                "wall_s": wall,
                "run_s": time.perf_counter() - begin,  # with building and scoring
                "adam_step_s": problem.timings["adam_step_s"],
                "lbfgs_s": problem.timings.get("lbfgs_s", 0.0),
                "localization_error_mm": 1e3 * metrics["localization_error_m"],
                "centroid_error_mm": (
                    1e3 * metrics["centroid_error_m"] if "centroid_error_m" in metrics else None
                ),
                "rel_l2_volume": metrics["rel_l2_volume"],
                "rel_l2_data_fit": metrics["rel_l2_data_fit"],
                "dipole_fit_error_mm": 1e3 * localization_error(fit.position, source.position),
                "sloreta_error_mm": 1e3 * localization_error(slor.peak, source.position),
            }
            runs.append(run)
            print(run, flush=True)
            # rewritten after every run, so that an interrupted benchmark keeps what it measured
            path = write_json(out, report(args, preset, source, runs))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
