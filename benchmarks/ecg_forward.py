"""Speed of the ECG forward model and baselines on the default geometry.

Measures the BEM transfer matrix (1094-node heart, 352-node torso), the Aliev-Panfilov beat
(661 frames) and each baseline over all 661 frames, against a baseline measured in the same
run: one dense LU solve ``numpy.linalg.solve`` of the BEM's size ((n_heart + n_torso)² system,
one right-hand side per heart node). The ratios hold on a noisy, shared machine; the seconds
are what this machine gave. Targets (issue #4): R ≤ 15 s, Aliev-Panfilov ≤ 5 s, each
baseline ≤ 10 s.

Run: ``.venv/bin/python benchmarks/ecg_forward.py``; writes ``benchmarks/results/ecg_forward.json``.
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np

from pinn_inverse.ecg.aliev_panfilov import aliev_panfilov
from pinn_inverse.ecg.baselines import stre, tikhonov
from pinn_inverse.ecg.bem import transfer_matrix
from pinn_inverse.ecg.data import add_noise
from pinn_inverse.ecg.geometry import load_default_geometry
from pinn_inverse.io import versions, write_json
from pinn_inverse.metrics import cc, re
from pinn_inverse.operators import mesh_laplacian

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"transfer_matrix": 15.0, "aliev_panfilov": 5.0, "baseline": 10.0}


def timed(fn, repeat=1):
    """Best wall time of ``repeat`` calls and the last result."""
    best, out = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--sigma", type=float, default=0.01)
    args = parser.parse_args()
    geometry = load_default_geometry()
    nh, nb = geometry.heart.n_nodes, geometry.torso.n_nodes
    rng = np.random.default_rng(0)
    dense = rng.standard_normal((nh + nb, nh + nb)) + (nh + nb) * np.eye(nh + nb)
    rhs = rng.standard_normal((nh + nb, nh))
    t_dense, _ = timed(lambda: np.linalg.solve(dense, rhs), repeat=3)

    t_R, R = timed(lambda: transfer_matrix(geometry))
    apex = int(np.argmin(geometry.heart.vertices[:, 2]))
    t_ap, sim = timed(lambda: aliev_panfilov(geometry.heart, apex), repeat=2)
    y = add_noise(R, sim.u, args.sigma, seed=0)
    L = mesh_laplacian(geometry.heart.vertices, geometry.heart.faces)
    runs = {
        "tikhonov0_lcurve": lambda: tikhonov(R, y, order=0, lam="lcurve"),
        "tikhonov0_gcv": lambda: tikhonov(R, y, order=0, lam="gcv"),
        "tikhonov2_lcurve": lambda: tikhonov(R, y, order=2, laplacian=L, lam="lcurve"),
        "tikhonov2_gcv": lambda: tikhonov(R, y, order=2, laplacian=L, lam="gcv"),
        "stre": lambda: stre(R, y, L),
    }
    baselines = {}
    for name, run in runs.items():
        seconds, rec = timed(run)
        baselines[name] = {
            "seconds": seconds,
            "ratio_to_dense_solve": seconds / t_dense,
            "RE": re(rec.u, sim.u),
            "CC": cc(rec.u, sim.u),
        }
    report = {
        "cpu_threads": len(os.sched_getaffinity(0)),
        "load_average_1min": os.getloadavg()[0],
        "sizes": {"heart": nh, "torso": nb, "frames": sim.u.shape[1]},
        "dense_solve_seconds": t_dense,
        "transfer_matrix": {"seconds": t_R, "ratio_to_dense_solve": t_R / t_dense},
        "transfer_matrix_row_sum_error": float(np.abs(R.sum(axis=1) - 1).max()),
        "aliev_panfilov": {"seconds": t_ap, "ratio_to_dense_solve": t_ap / t_dense},
        "aliev_panfilov_dt": sim.dt,
        "baselines": baselines,
        "sigma": args.sigma,
        "targets_seconds": TARGETS,
        "versions": versions(),
    }
    write_json(args.out / "ecg_forward.json", report)
    print(f"load average {report['load_average_1min']:.1f} on {report['cpu_threads']} threads")
    print(f"dense solve ({nh + nb}², {nh} rhs): {t_dense:.3f} s (same-run baseline)")
    for name, key, target in (
        ("transfer matrix R", "transfer_matrix", TARGETS["transfer_matrix"]),
        ("Aliev-Panfilov beat", "aliev_panfilov", TARGETS["aliev_panfilov"]),
    ):
        s = report[key]
        print(
            f"{name:>22}: {s['seconds']:6.2f} s = {s['ratio_to_dense_solve']:6.1f} x dense "
            f"(target {target:g} s)"
        )
    for name, s in baselines.items():
        print(
            f"{name:>22}: {s['seconds']:6.2f} s = {s['ratio_to_dense_solve']:6.1f} x dense "
            f"(target {TARGETS['baseline']:g} s)  RE {s['RE']:.3f} CC {s['CC']:.3f}"
        )


if __name__ == "__main__":
    main()
