"""The figures and numbers of the tutorial "EAND-ARN step by step" (05_eand_arn.md).

Runs the page's code: the benchmark data at σ = 0.01 (seed 0), EAND-ARN with the default
preset (STND, NN6, λ = 0.1, 6000 Adam steps, inputs × 2), second-order Tikhonov (L-curve)
and STRE on the same data; writes the PNGs and ``eand_arn.json`` (every number the page
quotes) beside this script, or into ``--out``. ``--quick`` is a check that it runs (61
frames, the preset's ``quick()``: 30 Adam steps), as the test suite runs it::

    nice -n 19 .venv/bin/python docs/tutorials/figures/make_eand_arn.py
"""

import argparse
import time
from pathlib import Path

import numpy as np

from pinn_inverse.backend import backend_name
from pinn_inverse.ecg import benchmark_data, plotting
from pinn_inverse.ecg.aliev_panfilov import D_DEFAULT
from pinn_inverse.ecg.eand_arn import PRESETS, eand_arn, residuals
from pinn_inverse.ecg.pipeline import baselines
from pinn_inverse.ecg.study import loss_summary, scores
from pinn_inverse.io import save_figure, write_json
from pinn_inverse.operators import mesh_laplacian, temporal_derivative

HERE = Path(__file__).resolve().parent
DPI = 80  # keeps each PNG under 150 KB


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="61 frames, 30 Adam steps")
    parser.add_argument("--out", type=Path, default=HERE, help="folder of the PNGs and JSON")
    args = parser.parse_args(argv)

    # 1. the data: Aliev-Panfilov truth on the default heart, y = R u + ε
    data = benchmark_data(sigma=0.01, seed=0, n_frames=61 if args.quick else 661)

    heart = data.geometry.heart
    # the STND operators on the simulated truth: eq. (15) in space, eqs. (17)-(18) in time
    L = mesh_laplacian(heart.vertices, heart.faces)
    Dt = temporal_derivative(len(data.t), data.t[1] - data.t[0])
    r_u, r_v = residuals(data.u, data.v, data.u @ Dt.T, data.v @ Dt.T, L @ data.u, D_DEFAULT)
    truth_residuals = {"r_u": float(np.mean(r_u**2)), "r_v": float(np.mean(r_v**2))}

    # 2-4. the factory: scales, operators, STND physics, MeshTimeData, NN6, dde.Model
    preset = PRESETS["default"].quick() if args.quick else PRESETS["default"]
    problem = eand_arn(data, derivatives="nd", net="NN6", lam=0.1, preset=preset, seed=0)
    init = loss_summary(problem, "init")

    # 5. training
    start = time.perf_counter()
    problem.train(progress=not args.quick, display_every=max(1, preset.iterations // 100))
    wall = time.perf_counter() - start
    final = loss_summary(problem, "final")

    # 6. scoring, beside the baselines on the same data
    recs = baselines(data, L, quick=True)
    estimates = {
        "EAND-ARN": problem.predict()[0],
        "Tikhonov 2 (L-curve)": recs["Tikhonov 2 (L-curve)"][0].u,
        "STRE": recs["STRE"][0].u,
    }
    results = {name: scores(u, data.u) for name, u in estimates.items()}
    activation = _activation_errors(data, estimates)

    figures = _figures(args.out, data, estimates, problem)
    report = {
        "command": "docs/tutorials/figures/make_eand_arn.py" + (" --quick" if args.quick else ""),
        "backend": backend_name(),
        "sigma": data.sigma,
        "seed": 0,
        "frames": len(data.t),
        "preset": preset.asdict(),
        "n_nodes": heart.n_nodes,
        "n_leads": data.geometry.torso.n_nodes,
        "length_scale_m": problem.scales.length,
        "alphas": problem.net.alphas.tolist(),
        "truth_residuals": truth_residuals,
        "loss_terms": {**init, **final},
        "bad_init": init["init_ep"] > init["init_data"],
        "rollbacks": problem.trainer.rollbacks,  # the divergence guard's (Preset.rollback)
        "train_s": wall,
        "adam_step_s": problem.timings["adam_step_s"],
        "scores": results,
        "activation": activation,
        "figures": figures,
    }
    path = write_json(args.out / "eand_arn.json", report)
    print("mean square residuals of the truth (STND):", truth_residuals)
    print("loss terms:", {name: round(value, 5) for name, value in {**init, **final}.items()})
    for name, s in results.items():
        print(f"{name:>22}: RE {s['re']:.4f}, CC {s['cc']:.4f}, MSE {s['mse']:.5f}")
    print("activation times against the truth:", activation)
    print(f"training {wall:.0f} s; wrote {path} and {len(figures)} figures")
    return report


def _activation_errors(data, estimates):
    """Per method: the mean |activation time − the truth's| over the nodes where both
    activate (model time units), and how many nodes never activate."""
    truth = plotting.activation_times(data.u, data.t)
    out = {}
    for name, u in estimates.items():
        times = plotting.activation_times(u, data.t)
        both = np.isfinite(times) & np.isfinite(truth)
        out[name] = {
            "mean_abs_error": float(np.mean(np.abs(times[both] - truth[both]))),
            "never_active": int(np.count_nonzero(np.isnan(times))),
        }
    return out


def _figures(out, data, estimates, problem):
    geometry = data.geometry
    everything = {"truth": data.u, **estimates}
    frame = plotting.front_frame(data.u)
    maps = {name: u[:, frame] for name, u in everything.items()}
    times = {name: plotting.activation_times(u, data.t) for name, u in everything.items()}
    node = int(np.argmax(data.geometry.heart.vertices[:, 0]))
    figures = {
        "eand_arn_heart_maps.png": plotting.heart_maps(
            geometry, maps, f"(t = {data.t[frame]:.1f})"
        ),
        "eand_arn_activation.png": plotting.activation_maps(geometry, times),
        "eand_arn_time_course.png": plotting.time_course(data.t, node, data.u, estimates),
        "eand_arn_loss.png": plotting.loss_curves(
            problem.trainer.history, problem.loss_names, "EAND-ARN (STND, NN6), σ = 0.01"
        ),
    }
    for name, fig in figures.items():
        save_figure(fig, out / name, dpi=DPI)
    return list(figures)


if __name__ == "__main__":
    main()
