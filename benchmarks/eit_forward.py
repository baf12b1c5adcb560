"""EIT forward speed: one CEM solve with Jacobian on the default mesh, and dataset throughput.

Targets (issue #5, 2 CPU cores): forward + Jacobian <= 50 ms; >= 50 samples/s; 10,000
samples <= 4 minutes. The same-run baseline is the same forward + Jacobian with a dense LU of
the CEM matrix instead of the sparse one, so the ratio holds on a noisy shared machine.

Usage: ``python benchmarks/eit_forward.py [--n 2000] [--workers 2]`` (``--n 10000`` for the
full-size measurement). Writes ``benchmarks/results/eit_forward.json``.
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.linalg

from pinn_inverse.eit import patterns
from pinn_inverse.eit.dataset import make_dataset
from pinn_inverse.eit.fem import ForwardModel
from pinn_inverse.eit.mesh import disk_mesh
from pinn_inverse.io import versions, write_json


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def dense_forward(model, sigma, currents, measurements):
    """Forward + Jacobian with a dense LU: the baseline."""
    N, L = len(model.mesh.nodes), model.n_electrodes
    lu = scipy.linalg.lu_factor(model.system_matrix(sigma).toarray())
    rhs = np.zeros((N + L + 1, currents.shape[1] + measurements.shape[1]))
    rhs[N : N + L] = np.hstack([currents, measurements])
    x = scipy.linalg.lu_solve(lu, rhs)
    P = currents.shape[1]
    gi = model.element_gradients(x[:N, :P])
    gm = model.element_gradients(x[:N, P:])
    J = -np.einsum("mpd,mqd,m->pqm", gi, gm, model.mesh.areas, optimize=True)
    return (measurements.T @ x[N : N + L, :P]).T.ravel(), J.reshape(-1, model.n_elements)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="dataset samples to time")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()

    mesh = disk_mesh()
    model = ForwardModel(mesh)
    sigma = 1 + 5 * np.random.default_rng(0).random(model.n_elements)
    currents = patterns.trigonometric_set()
    measurements = patterns.adjacent_differences()
    fast = model.forward(sigma, currents, measurements, jacobian=True)
    slow = dense_forward(model, sigma, currents, measurements)
    agreement = float(np.abs(fast[1] - slow[1]).max() / np.abs(slow[1]).max())
    t_sparse = median_time(
        lambda: model.forward(sigma, currents, measurements, jacobian=True), args.repeats
    )
    t_dense = median_time(lambda: dense_forward(model, sigma, currents, measurements), 5)

    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        make_dataset(n=args.n, cache_dir=cache, workers=args.workers, seed=1)
        t_data = time.perf_counter() - start
    total = args.n + args.n // 10
    results = {
        "mesh": {"nodes": len(mesh.nodes), "elements": model.n_elements, "electrodes": 16},
        "forward_jacobian_ms": 1e3 * t_sparse,
        "dense_baseline_ms": 1e3 * t_dense,
        "speedup_vs_dense": t_dense / t_sparse,
        "jacobian_agreement_vs_dense": agreement,
        "dataset_samples": total,
        "dataset_workers": args.workers,
        "dataset_seconds": t_data,
        "samples_per_second": total / t_data,
        "projected_10000_train_plus_1000_test_s": 11000 / (total / t_data),
        "versions": versions(),
    }
    path = write_json(Path(__file__).parent / "results" / "eit_forward.json", results)
    for key, value in results.items():
        if key != "versions":
            print(f"{key:40s} {value}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
