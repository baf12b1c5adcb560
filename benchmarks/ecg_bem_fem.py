"""The BEM transfer matrix against an independent P2 FEM reference, per geometry and mesh level.

For each geometry (the default one, ECGSim's ventricles and thorax, the Utah tank) and each
mesh level (native, every triangle of both surfaces split once, twice: the same polyhedron),
``R @ u_heart`` is compared with the FEM torso potentials of the same Laplace problem, for
smooth heart fields about the heart's centre c, with L its half-extent: the harmonics of
degree 1 (x, y, z), 2 (xy, yz, x² − y²) and 3 (z (5z² − 3r²)), the potential of a dipole
0.2 L from c (two orientations) and a propagating wave front tanh(s·(r − c) / 0.5 L) (two
directions). The error of a field is ‖R u − φ_FEM‖ / ‖φ_FEM − mean φ_FEM‖ over the native
torso nodes; median and max over fields are reported.

The FEM reference is the finest FEM level (its surfaces split ``--fem-levels`` times, 2 by
default) that TetGen meshes: it stops with an internal error on ECGSim's surfaces split three
times and leaves 4 stray boundary triangles on the default geometry's split twice (such a
level is recorded as failed). The reference's own convergence is reported as the difference
of each coarser FEM level from it. A rerun for some geometries keeps the others' results.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/ecg_bem_fem.py`` (about 35 minutes on a
loaded 2-core machine; ``--geometries ecgsim`` for one); writes
``benchmarks/results/ecg_bem_fem.json`` after each geometry.
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

from pinn_inverse.ecg.bem import transfer_matrix
from pinn_inverse.ecg.fem import fem_torso_potentials
from pinn_inverse.ecg.geometry import (
    MeshQualityWarning,
    check_nested,
    load_default_geometry,
    load_ecgsim_geometry,
    read_pts_fac,
    subdivide,
)
from pinn_inverse.io import shared_data, versions, write_json

ROOT = Path(__file__).resolve().parents[1]
DATA = shared_data("ecg")
LEVELS = {0: "native", 1: "split once", 2: "split twice"}
FIELD_NAMES = ["x", "y", "z", "xy", "yz", "x2-y2", "z(5z2-3r2)", "dipole_x", "dipole_z"]
FIELD_NAMES += ["wave_xz", "wave_y"]


def load(name):
    if name == "default":
        return load_default_geometry()
    if name == "ecgsim":
        return load_ecgsim_geometry(DATA / "ecgsim", subdivisions=0)
    tank = DATA / "utah_tank"
    heart = read_pts_fac(tank / "heart_closed.pts", tank / "heart_closed.fac", name="heart")
    torso = read_pts_fac(tank / "torso_closed.pts", tank / "torso_closed.fac", name="torso")
    return check_nested(heart, torso)


def heart_fields(geometry):
    """The smooth heart fields (V) as one function of positions (m), one column each."""
    centre = geometry.heart.vertices.mean(axis=0)
    half = 0.5 * np.ptp(geometry.heart.vertices, axis=0).max()
    source = centre + np.array([0.2, 0.0, 0.0]) * half

    def fields(points):
        x, y, z = ((points - centre) / half).T
        r2 = x**2 + y**2 + z**2
        d = (points - source) / half
        dist3 = np.linalg.norm(d, axis=1) ** 3
        return np.stack(
            [x, y, z, x * y, y * z, x**2 - y**2, z * (5 * z**2 - 3 * r2)]
            + [d[:, 0] / dist3, d[:, 2] / dist3]
            + [np.tanh((0.6 * x + 0.8 * z) / 0.5), np.tanh(y / 0.5)],
            axis=1,
        )

    return fields


def split(geometry, level):
    return check_nested(subdivide(geometry.heart, level), subdivide(geometry.torso, level))


def errors(estimate, reference):
    spread = np.linalg.norm(reference - reference.mean(axis=0), axis=0)
    return np.linalg.norm(estimate - reference, axis=0) / spread


def summary(per_field):
    return {
        "per_field": dict(zip(FIELD_NAMES, per_field.tolist(), strict=True)),
        "median": float(np.median(per_field)),
        "max": float(per_field.max()),
    }


def run_geometry(name, bem_levels, fem_level):
    geometry = load(name)
    fields = heart_fields(geometry)
    n = geometry.torso.n_nodes
    fem, infos = {}, {}
    for level in range(fem_level + 1):
        start = time.perf_counter()
        try:
            torso, info = fem_torso_potentials(split(geometry, level), fields)
        except RuntimeError as err:  # TetGen fails on some finely split surfaces
            infos[level] = {"failed": str(err)}
            print(f"{name}: FEM level {level} failed: {err}", flush=True)
            break
        fem[level] = torso[:n]
        infos[level] = info
        info["seconds"] = time.perf_counter() - start
        print(f"{name}: FEM level {level}: {info}", flush=True)
    fem_level = max(fem)
    reference = fem[fem_level]
    report = {
        "heart_nodes": geometry.heart.n_nodes,
        "torso_nodes": n,
        "fem_reference_level": fem_level,
        "fem": {
            f"level {level}": {
                **info,
                **(summary(errors(fem[level], reference)) if level < fem_level else {}),
            }
            for level, info in infos.items()
        },
        "bem": {},
    }
    for level in bem_levels:
        refined = split(geometry, level)
        start = time.perf_counter()
        R = transfer_matrix(refined)
        seconds = time.perf_counter() - start
        torso = (R @ fields(refined.heart.vertices))[:n]
        report["bem"][LEVELS[level]] = {
            "heart_nodes": refined.heart.n_nodes,
            "torso_nodes": refined.torso.n_nodes,
            "seconds": seconds,
            **summary(errors(torso, reference)),
        }
        result = report["bem"][LEVELS[level]]
        print(
            f"{name}: BEM {LEVELS[level]} ({refined.heart.n_nodes} + {refined.torso.n_nodes} "
            f"nodes, {seconds:.0f} s): median {result['median']:.2%}, max {result['max']:.2%}",
            flush=True,
        )
        del R
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--geometries", nargs="+", default=["default", "ecgsim", "utah"])
    parser.add_argument(
        "--bem-levels",
        nargs="+",
        default=["default:0,1", "ecgsim:0,1,2", "utah:0,1,2"],
        help="per geometry, the BEM levels (0 native, 1 split once, 2 split twice)",
    )
    parser.add_argument("--fem-levels", nargs="+", default=["default:2", "ecgsim:2", "utah:2"])
    args = parser.parse_args()
    bem_levels = {
        k: [int(v) for v in s.split(",")] for k, s in (a.split(":") for a in args.bem_levels)
    }
    fem_levels = {k: int(s) for k, s in (a.split(":") for a in args.fem_levels)}
    warnings.simplefilter("ignore", MeshQualityWarning)
    path = args.out / "ecg_bem_fem.json"
    # geometries run before (and not rerun now) are kept
    done = json.loads(path.read_text())["geometries"] if path.is_file() else {}
    report = {"fields": FIELD_NAMES, "levels": LEVELS, "versions": versions(), "geometries": done}
    for name in args.geometries:
        report["geometries"][name] = run_geometry(name, bem_levels[name], fem_levels[name])
        write_json(path, report)


if __name__ == "__main__":
    main()
