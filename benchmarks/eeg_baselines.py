"""Benchmark: localisation error and wall time of the classical EEG baselines (issue #3).

For several noise seeds, the default smoothed Dipole() (on the 5 mm source-space grid), an
off-grid dipole and, per seed, a random dipole are simulated with the exact series at 32
Fibonacci electrodes and 0.5 % noise; the nonlinear dipole fit and sLORETA localise them
from the same measurements.
Same-run references give the numbers their meaning:

- accuracy: the grid floor (distance from the truth to the nearest source-space point, the
  best any grid method can do) and chance (the mean distance from the truth to a source-space
  point drawn uniformly: a random guess);
- speed: the lead field of the whole source space (the cost both methods share), and the
  vectorised lead field against one ``exact_potential`` call per position and axis.

Writes JSON (default benchmarks/results/eeg_baselines.json).

    python benchmarks/eeg_baselines.py [--seeds 5] [--noise 0.005]
"""

import argparse
import time
from pathlib import Path

import numpy as np

from pinn_inverse.eeg import Dipole, ThreeShellHead, exact_potential, fibonacci_electrodes
from pinn_inverse.eeg.baselines import dipole_fit, sloreta, source_space
from pinn_inverse.eeg.simulate import simulate
from pinn_inverse.eeg.sphere_series import POINT_WIDTH, leadfield
from pinn_inverse.io import versions, write_json
from pinn_inverse.metrics import localization_error


def random_dipole(seed, reach=0.023):
    """A dipole uniform in the ball |x| ≤ ``reach`` (m) with a Gaussian moment (~5 nA·m)."""
    rng = np.random.default_rng(1000 + seed)
    position = rng.uniform(-reach, reach, 3)
    while np.linalg.norm(position) > reach:
        position = rng.uniform(-reach, reach, 3)
    return Dipole(position=position, moment=5e-9 * rng.normal(size=3))


SOURCES = {  # seed → source; the 4 mm-wide Dipole fits within 23 mm of the centre
    "default_on_grid": lambda seed: Dipole(),
    "off_grid": lambda seed: Dipole(position=(0.0125, 0.0025, -0.0025), moment=(3e-9, 8e-9, -5e-9)),
    "random": random_dipole,
}
PAPER_ED_PINN_MM = 6.3  # ED-PINN paper, Sec. 6: centroid of I_est, one run


def _timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - start


def _summary(values):
    values = np.asarray(values, dtype=float)
    return {"mean": float(values.mean()), "std": float(values.std()), "values": values.tolist()}


def localisation(head, electrodes, make_source, seeds, noise):
    grid = source_space(head)
    rows = {"truth": [], "dipole_fit": [], "sloreta": []}
    for seed in seeds:
        source = make_source(seed)
        truth = np.asarray(source.position)
        distances = np.linalg.norm(grid - truth, axis=1)
        rows["truth"].append(
            {
                "grid_floor_mm": 1e3 * float(distances.min()),
                "chance_mm": 1e3 * float(distances.mean()),
            }
        )
        sim = simulate(head, source, electrodes, noise=noise, seed=seed, grid_n=8)
        fit, fit_s = _timed(dipole_fit, head, electrodes, sim.measurements, sim.noise_std)
        slo, slo_s = _timed(sloreta, head, electrodes, sim.measurements, sim.noise_std)
        p = np.asarray(source.moment)
        rows["dipole_fit"].append(
            {
                "error_mm": 1e3 * localization_error(fit.position, truth),
                "moment_rel_error": float(np.linalg.norm(fit.moment - p) / np.linalg.norm(p)),
                "goodness_of_fit": fit.goodness_of_fit,
                "reduced_chi2": fit.reduced_chi2,
                "n_evaluations": fit.n_evaluations,
                "wall_s": fit_s,
            }
        )
        rows["sloreta"].append(
            {"error_mm": 1e3 * localization_error(slo.peak, truth), "wall_s": slo_s}
        )
    result = {"sources": [(make_source(seed).position, make_source(seed).moment) for seed in seeds]}
    for method, entries in rows.items():
        result[method] = {key: _summary([e[key] for e in entries]) for key in entries[0]}
    return result


def leadfield_speed(head, electrodes, n_subset=40):
    grid = source_space(head)
    full_s = min(_timed(leadfield, head, electrodes, grid)[1] for _ in range(3))
    # the naive alternative on an evenly spread subset, against the vectorised one on it
    subset = grid[np.linspace(0, len(grid) - 1, n_subset).astype(int)]
    _, vector_s = _timed(leadfield, head, electrodes, subset)
    start = time.perf_counter()
    for x in subset:
        for axis in np.eye(3):
            exact_potential(head, Dipole(position=x, moment=axis, width=POINT_WIDTH), electrodes)
    naive_s = time.perf_counter() - start
    return {
        "source_space_points": len(grid),
        "leadfield_source_space_s": full_s,
        "subset_points": n_subset,
        "subset_vectorised_s": vector_s,
        "subset_exact_potential_loop_s": naive_s,
        "speedup_vs_loop": naive_s / vector_s,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="noise seeds 0 … N−1")
    parser.add_argument("--noise", type=float, default=0.005, help="fraction of the range")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args(argv)
    head = ThreeShellHead()
    electrodes = fibonacci_electrodes(32, head.radius)
    result = {
        "versions": versions(),
        "electrodes": 32,
        "noise": args.noise,
        "seeds": list(range(args.seeds)),
        "paper_ed_pinn_mm": PAPER_ED_PINN_MM,
        "speed": leadfield_speed(head, electrodes),
        "sources": {},
    }
    print(f"lead field speed: {result['speed']}", flush=True)
    for name, make_source in SOURCES.items():
        entry = localisation(head, electrodes, make_source, result["seeds"], args.noise)
        result["sources"][name] = entry
        floor, chance = entry["truth"]["grid_floor_mm"], entry["truth"]["chance_mm"]
        print(
            f"{name}: grid floor {floor['mean']:.2f} ± {floor['std']:.2f} mm, chance "
            f"{chance['mean']:.1f} ± {chance['std']:.1f} mm",
            flush=True,
        )
        for method in ("dipole_fit", "sloreta"):
            e, w = entry[method]["error_mm"], entry[method]["wall_s"]
            shared = result["speed"]["leadfield_source_space_s"]
            print(
                f"  {method:<10} error {e['mean']:.2f} ± {e['std']:.2f} mm, wall "
                f"{w['mean']:.3f} ± {w['std']:.3f} s ({w['mean'] / shared:.1f}× the "
                "source-space lead field)",
                flush=True,
            )
    path = write_json(args.out / "eeg_baselines.json", result)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
