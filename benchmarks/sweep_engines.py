"""Benchmark: sweep engines on 8 CPU-bound cells — serial, a local pool of 2, Ray Tune on 2 CPUs.

Each cell is pure numpy on one thread (element-wise ufuncs, no BLAS), a few seconds long. The
serial baseline runs the cells one after the other in this process, in the same run as the
engines; the speed-up is serial / engine wall time, and an engine's overhead per cell is its
wall time beyond the cells' own compute spread over the workers, per cell. The load average
before and after is recorded: another benchmark may share the cores.

    python benchmarks/sweep_engines.py

Writes benchmarks/results/sweep_engines.json.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from pinn_inverse import sweep
from pinn_inverse.backend import set_threads
from pinn_inverse.io import versions, write_json
from pinn_inverse.sweep.records import read_records, run_cell

HERE = Path(__file__).resolve().parent


def burn(seed=0, steps=120):
    """``steps`` rounds of element-wise work on a million seeded numbers (one thread)."""
    start = time.perf_counter()
    x = np.random.default_rng(seed).random(1_000_000)
    for _ in range(steps):
        x = np.sin(x) * 0.5 + np.sqrt(x + 1.0) * 0.25
    return {"checksum": float(x.sum()), "compute_s": time.perf_counter() - start}


def _engine(spec, folder, engine, workers):
    summary = sweep.run(spec, folder, engine=engine, workers=workers, progress=False)
    if summary.exit_code:
        raise RuntimeError(str(summary))
    records = read_records(folder, spec.cells())
    return summary.wall_s, records


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=120, help="work per cell")
    parser.add_argument("--cells", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "sweep_engines.json")
    args = parser.parse_args(argv)
    # spawned and Ray workers import the runner from this folder
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(HERE), os.environ.get("PYTHONPATH")])
    )
    sys.path.insert(0, str(HERE))
    spec = sweep.load_spec(
        {
            "runner": "sweep_engines:burn",
            "grid": {"steps": [args.steps]},
            "seeds": list(range(args.cells)),
        }
    )
    load_before = os.getloadavg()
    set_threads(1)
    start = time.perf_counter()
    serial = {cell.key: run_cell(cell) for cell in spec.cells()}
    serial_s = time.perf_counter() - start
    compute_s = sum(r["metrics"]["compute_s"] for r in serial.values())

    import ray

    with tempfile.TemporaryDirectory() as tmp:
        local_s, local = _engine(spec, Path(tmp, "local"), "local", args.workers)
        start = time.perf_counter()
        ray.init(num_cpus=args.workers, include_dashboard=False)
        ray_init_s = time.perf_counter() - start
        try:
            ray_s, remote = _engine(spec, Path(tmp, "ray"), "ray", args.workers)
        finally:
            ray.shutdown()
    load_after = os.getloadavg()
    for records in (local, remote):
        assert all(
            records[k]["metrics"]["checksum"] == serial[k]["metrics"]["checksum"] for k in serial
        ), "an engine computed another result than the serial run"

    def overhead(wall, records):
        """Wall time beyond the cells' compute shared by the workers, per cell."""
        work = sum(r["metrics"]["compute_s"] for r in records.values())
        return (wall - work / args.workers) * args.workers / args.cells

    result = {
        "cells": args.cells,
        "workers": args.workers,
        "steps": args.steps,
        "cpu_threads": len(os.sched_getaffinity(0)),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "serial_s": serial_s,
        "serial_compute_s_per_cell": compute_s / args.cells,
        "local_s": local_s,
        "ray_s": ray_s,
        "ray_init_s": ray_init_s,
        "speedup_local_vs_serial": serial_s / local_s,
        "speedup_ray_vs_serial": serial_s / ray_s,
        "ray_vs_local": ray_s / local_s,
        "local_overhead_s_per_cell": overhead(local_s, local),
        "ray_overhead_s_per_cell": overhead(ray_s, remote),
        "local_compute_s_per_cell": np.mean([r["metrics"]["compute_s"] for r in local.values()]),
        "ray_compute_s_per_cell": np.mean([r["metrics"]["compute_s"] for r in remote.values()]),
        "versions": {**versions(), "ray": ray.__version__},
        "note": "another engineer's benchmarks may share the cores: see the load averages",
    }
    path = write_json(args.out, result)
    for key in ("serial_s", "local_s", "ray_s", "speedup_local_vs_serial", "ray_vs_local"):
        print(f"{key:>26}: {result[key]:.3f}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
