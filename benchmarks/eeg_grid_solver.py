"""Benchmark: the EEG grid solver's speed and accuracy against the exact series.

Measures, for each grid size, the wall time of a sub-voxel solve (face conductivities,
assembly, AMG setup and CG), its relative L2 error at the 32 electrodes and in the brain more
than 10 mm from the source (both average-referenced at the electrodes), the same for a plain
staircased voxel map, and Richardson extrapolation from n/2 and n. Speed is compared with
the paper's Jacobi relaxation to the same relative residual, in the same run, at sizes where
Jacobi finishes. Writes JSON (default benchmarks/results/eeg_grid_solver.json).

    python benchmarks/eeg_grid_solver.py [--sizes 32 64 128] [--jacobi-sizes 32 48 64]
"""

import argparse
import time
from pathlib import Path

import numpy as np

from pinn_inverse.eeg import Dipole, ThreeShellHead, exact_potential, fibonacci_electrodes
from pinn_inverse.eeg.grid import (
    VoxelGrid,
    harmonic_face_conductivities,
    richardson,
    solve_grid,
    solve_head,
    source_on_grid,
    voxel_conductivity,
)
from pinn_inverse.io import versions, write_json
from pinn_inverse.metrics import rel_l2

TOL = 1e-8
AWAY_FROM_SOURCE = 0.010  # m


def errors(head, source, electrodes, solution):
    exact_el = exact_potential(head, source, electrodes)
    grid_el = solution.sample(electrodes)
    centers = solution.grid.centers()
    r = np.linalg.norm(centers, axis=1)
    far = (r < head.radii[0]) & (
        np.linalg.norm(centers - np.asarray(source.position), axis=1) > AWAY_FROM_SOURCE
    )
    truth = exact_potential(head, source, centers[far]) - exact_el.mean()
    values = solution.potential.ravel()[far] - grid_el.mean()
    return {
        "rel_l2_electrodes": rel_l2(grid_el - grid_el.mean(), exact_el - exact_el.mean()),
        "rel_l2_brain": rel_l2(values, truth),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--jacobi-sizes", type=int, nargs="+", default=[32, 48, 64])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args(argv)
    head, source = ThreeShellHead(), Dipole()
    electrodes = fibonacci_electrodes(32, head.radius)
    result = {"versions": versions(), "tolerance": TOL, "source": source.__dict__, "sizes": {}}

    solutions = {}
    for n in args.sizes:
        start = time.perf_counter()
        solution = solve_head(head, source, n=n, tol=TOL)
        wall = time.perf_counter() - start
        solutions[n] = solution
        grid = VoxelGrid.around(head, n)
        start = time.perf_counter()
        stair = solve_grid(
            harmonic_face_conductivities(voxel_conductivity(head, grid)),
            grid,
            source_on_grid(source, grid),
            tol=TOL,
        )
        stair_wall = time.perf_counter() - start
        entry = {
            "unknowns": int(solution.active.sum()),
            "subvoxel": {
                "wall_s": wall,
                "iterations": solution.iterations,
                **errors(head, source, electrodes, solution),
            },
            "staircase": {
                "wall_s": stair_wall,
                "iterations": stair.iterations,
                **errors(head, source, electrodes, stair),
            },
        }
        if n // 2 in solutions:
            exact_el = exact_potential(head, source, electrodes)
            extrapolated = richardson(solutions[n // 2], solution, electrodes)
            entry["richardson_from_half"] = {
                "rel_l2_electrodes": rel_l2(
                    extrapolated - extrapolated.mean(), exact_el - exact_el.mean()
                )
            }
        result["sizes"][n] = entry
        print(f"{n:>4}³ {entry}", flush=True)

    result["jacobi"] = {}
    for n in args.jacobi_sizes:
        timings = {}
        for method in ("amg", "jacobi"):
            start = time.perf_counter()
            solution = solve_head(head, source, n=n, method=method, tol=TOL)
            timings[method] = {
                "wall_s": time.perf_counter() - start,
                "iterations": solution.iterations,
                "residual": solution.residual,
            }
        timings["speedup"] = timings["jacobi"]["wall_s"] / timings["amg"]["wall_s"]
        result["jacobi"][n] = timings
        print(f"{n:>4}³ AMG vs Jacobi {timings}", flush=True)
    path = write_json(args.out / "eeg_grid_solver.json", result)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
