"""Why a network of positions struggles on a real heart: nodes close in space, far apart in time.

On the benchmark beat (paced at the apex, 661 frames) of each geometry, every pair of heart
nodes closer than 0.1 L in space (L: the largest distance of a node from the heart's centre,
the network's length scale) is compared by its activation times
(:func:`~pinn_inverse.ecg.plotting.activation_times`). On a surface with two walls close
together (ECGSim's endocardium and epicardium) the wave reaches the two sides at different
times, so the true u jumps across a small distance in space, which a smooth network of
(x, y, z, t) cannot follow. The heart's first ``--eigenfunctions`` Laplace-Beltrami
eigenfunctions (:func:`~pinn_inverse.operators.laplacian_eigenfunctions`, the inputs of
``Preset.eigenfunctions``) are compared on the same pairs: the distance between the two
nodes' eigenfunction vectors, for the pairs whose activation times differ by more than
``--gap`` and for the others.

Run: ``python benchmarks/ecg_wall.py`` (about a minute); writes
``benchmarks/results/ecg_wall.json``.
"""

import argparse
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from pinn_inverse.ecg import benchmark_data
from pinn_inverse.ecg.plotting import activation_times
from pinn_inverse.ecg.study import geometry_of
from pinn_inverse.io import write_json
from pinn_inverse.operators import laplacian_eigenfunctions

OUT = Path(__file__).parent / "results" / "ecg_wall.json"


def wall(name, radius, gap, k):
    """The statistics of one geometry's close node pairs."""
    geometry = geometry_of(name)
    data = benchmark_data(0.01, seed=0, geometry=geometry, n_frames=661)
    heart = geometry.heart
    times = activation_times(data.u, data.t)
    vertices = heart.vertices
    length = float(np.linalg.norm(vertices - vertices.mean(axis=0), axis=1).max())
    pairs = cKDTree(vertices).query_pairs(radius * length, output_type="ndarray")
    differences = np.abs(times[pairs[:, 0]] - times[pairs[:, 1]])
    far = differences > gap
    phi = laplacian_eigenfunctions(vertices, heart.faces, k)[1]
    spread = np.linalg.norm(phi[pairs[:, 0]] - phi[pairs[:, 1]], axis=1)
    return {
        "n_heart": heart.n_nodes,
        "length_m": length,
        "activation_span": float(np.nanmax(times) - np.nanmin(times)),
        "close_pairs": len(pairs),
        "pairs_apart_in_time": int(far.sum()),
        "fraction_apart_in_time": float(far.mean()),
        "largest_time_difference": float(np.nanmax(differences)),
        "eigenfunction_distance_apart_in_time": float(spread[far].mean()) if far.any() else None,
        "eigenfunction_distance_others": float(spread[~far].mean()),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--radius", type=float, default=0.1, help="pair distance / L")
    parser.add_argument("--gap", type=float, default=10.0, help="activation gap (time units)")
    parser.add_argument("--eigenfunctions", type=int, default=4)
    args = parser.parse_args()
    report = {"radius_over_L": args.radius, "gap": args.gap, "eigenfunctions": args.eigenfunctions}
    for name in ("default", "ecgsim"):
        report[name] = wall(name, args.radius, args.gap, args.eigenfunctions)
        print(name, report[name])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    write_json(OUT, report)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
