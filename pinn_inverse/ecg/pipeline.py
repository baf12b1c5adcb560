"""ECG: Aliev-Panfilov heart truth, BEM torso maps with noise, Tikhonov and STRE baselines.

``pinn-inverse run ecg [--quick]`` simulates one paced beat on the default heart, maps it to
the torso with the BEM transfer matrix, adds noise at each level, reconstructs the heart
potentials with every baseline and scores them with RE, CC and MSE (EAND-ARN eqs. 19-21).
"""

import time

import numpy as np

from ..io import save_figure
from ..metrics import cc, mse, re
from ..operators import mesh_laplacian
from . import plotting
from .baselines import TikhonovPath, stre
from .data import NOISE_LEVELS, benchmark_data


def add_arguments(parser):
    """ECG options: noise levels and frame count."""
    parser.add_argument(
        "--sigma",
        type=float,
        nargs="+",
        default=None,
        help=f"noise levels on the torso potentials (default {NOISE_LEVELS}; quick: 0.05)",
    )
    parser.add_argument("--frames", type=int, default=None, help="frames (default 661; quick 221)")


def baselines(data, laplacian, quick=False):
    """The baselines on one data set: name -> (Reconstruction, seconds).

    Each Tikhonov order is decomposed once and λ selected by both criteria; STRE takes its
    spatial weight from second-order Tikhonov with GCV. Quick mode runs the paper's two
    baselines (second-order Tikhonov, STRE) only.
    """
    out = {}
    for order in (2,) if quick else (0, 2):
        start = time.perf_counter()
        path = TikhonovPath(data.R, data.y, order=order, laplacian=laplacian)
        setup = time.perf_counter() - start
        for criterion, label in (("lcurve", "L-curve"), ("gcv", "GCV")):
            start = time.perf_counter()
            rec = path.select(criterion)
            out[f"Tikhonov {order} ({label})"] = (rec, setup + time.perf_counter() - start)
    start = time.perf_counter()
    rec = stre(data.R, data.y, laplacian, lam_s=out["Tikhonov 2 (GCV)"][0].lam)
    out["STRE"] = (rec, time.perf_counter() - start)
    return out


def run(args):
    """Run the pipeline; write figures to ``args.out`` and return the report."""
    sigmas = args.sigma or ([0.05] if args.quick else list(NOISE_LEVELS))
    frames = args.frames or (221 if args.quick else 661)
    config = {"sigmas": sigmas, "frames": frames, "seed": args.seed, "laplacian": "fdm (eq. 15)"}
    metrics, figures, lambdas = {}, [], {}
    for sigma in sigmas:
        data = benchmark_data(sigma, seed=args.seed, n_frames=frames, progress=True)
        heart = data.geometry.heart
        laplacian = mesh_laplacian(heart.vertices, heart.faces)
        recs = baselines(data, laplacian, quick=args.quick)
        key = f"sigma={sigma:g}"
        metrics[key] = {
            name: {
                "RE": re(rec.u, data.u),
                "CC": cc(rec.u, data.u),
                "MSE": mse(rec.u, data.u),
                "seconds": seconds,
            }
            for name, (rec, seconds) in recs.items()
        }
        lambdas[key] = {name: rec.lam for name, (rec, _) in recs.items()}
        figures += _figures(args.out, key, data, recs)
    return {"config": config, "metrics": metrics, "lambdas": lambdas, "figures": figures}


def _figures(out, key, data, recs):
    shown = {name: recs[name][0].u for name in ("Tikhonov 2 (L-curve)", "STRE")}
    # the frame at which half of the heart is activated shows the front best
    frame = int(np.argmin(np.abs((data.u > 0.5).mean(axis=0) - 0.5)))
    maps = {"truth": data.u[:, frame], **{n: u[:, frame] for n, u in shown.items()}}
    node = int(np.argmax(data.geometry.heart.vertices[:, 0]))
    names = [f"{key}_heart_maps.png", f"{key}_time_course.png", f"{key}_lcurve.png"]
    label = f"(t = {data.t[frame]:.1f}, {key})"
    save_figure(plotting.heart_maps(data.geometry.heart, maps, label), out / names[0])
    save_figure(plotting.time_course(data.t, node, data.u, shown), out / names[1])
    lc = recs["Tikhonov 2 (L-curve)"][0]
    save_figure(plotting.lcurve(lc, f"Tikhonov 2, {key}"), out / names[2])
    return names
