"""ECG: Aliev-Panfilov heart truth, BEM torso maps with noise, EAND-ARN beside Tikhonov and STRE.

``pinn-inverse run ecg [--quick] [--method eand-arn|ep-dl|none] [--derivatives ad|nd_space|nd]
[--net NN1..NN6] [--noise σ ...]`` simulates one paced beat on the default heart, maps it to
the torso with the BEM transfer matrix, adds noise at each level, reconstructs the heart
potentials with every baseline and with the chosen network method (trained on the same data)
and scores them with RE, CC and MSE (EAND-ARN eqs. 19-21). ``--sigma`` is an alias of
``--noise``.
"""

import argparse
import time

import numpy as np

from ..io import save_figure
from ..metrics import cc, mse, re
from ..operators import mesh_laplacian
from . import plotting
from .baselines import TikhonovPath, stre
from .data import NOISE_LEVELS, benchmark_data
from .study import DEFAULTS, parse_net, scores

METHODS = (*DEFAULTS, "none")


def add_arguments(parser):
    """ECG options: noise levels, frame count and the network method."""
    parser.add_argument(
        "--noise",
        "--sigma",
        dest="sigma",
        type=float,
        nargs="+",
        default=None,
        help=f"noise levels on the torso potentials (default {NOISE_LEVELS}; quick: 0.05)",
    )
    parser.add_argument("--frames", type=int, default=None, help="frames (default 661; quick 221)")
    parser.add_argument(
        "--method",
        choices=METHODS,
        default="eand-arn",
        help="network method trained beside the baselines (none: the baselines only)",
    )
    parser.add_argument(
        "--derivatives",
        choices=("ad", "nd_space", "nd"),
        default=None,
        help="EP loss derivatives: STND (nd), mesh Laplacian + AD in time (nd_space) or AD "
        "(default: nd for eand-arn, ad for ep-dl)",
    )
    parser.add_argument(
        "--net",
        type=_net,
        default=None,
        help="NN1..NN6 (Table I) or FNN<layers>x<neurons> (default: NN6 for eand-arn, "
        "FNN10x10 for ep-dl)",
    )


def _net(value):
    try:
        parse_net(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return value


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
    method = args.method
    if method == "none" and (args.derivatives or args.net):
        raise ValueError("--derivatives and --net choose the network: give --method eand-arn|ep-dl")
    config = {"sigmas": sigmas, "frames": frames, "seed": args.seed, "laplacian": "fdm (eq. 15)"}
    if method != "none":
        derivatives, net = DEFAULTS[method]
        config["method"] = {
            "name": method,
            "derivatives": args.derivatives or derivatives,
            "net": args.net or net,
            "lam": 0.1,
        }
    metrics, figures, lambdas, training = {}, [], {}, {}
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
        shown = {name: recs[name][0].u for name in ("Tikhonov 2 (L-curve)", "STRE")}
        problem = None
        if method != "none":
            problem, seconds = _train(data, config["method"], args)
            name = f"{problem.trainer.name} ({problem.derivatives}, {config['method']['net']})"
            u_hat = problem.predict()[0]
            metrics[key][name] = {k.upper(): v for k, v in scores(u_hat, data.u).items()} | {
                "seconds": seconds
            }
            training[key] = {
                "name": name,
                "timings": problem.timings,
                "final_loss_terms": problem.loss_terms(),
            }
            shown = {name: u_hat, **shown}
        figures += _figures(args.out, key, data, recs, shown, problem)
    report = {"config": config, "metrics": metrics, "lambdas": lambdas, "figures": figures}
    if training:
        report["training"] = training
    return report


def _train(data, method, args):
    """The network method trained on ``data``: (EANDARN, seconds with building)."""
    from .eand_arn import PRESETS, eand_arn, ep_dl

    start = time.perf_counter()
    preset = PRESETS["default"].quick() if args.quick else PRESETS["default"]
    build = eand_arn if method["name"] == "eand-arn" else ep_dl
    problem = build(
        data,
        derivatives=method["derivatives"],
        net=parse_net(method["net"]),
        lam=method["lam"],
        preset=preset,
        seed=args.seed,
    )
    # a hundred points per loss curve
    problem.train(progress=not args.quick, display_every=max(1, preset.iterations // 100))
    return problem, time.perf_counter() - start


def _figures(out, key, data, recs, shown, problem):
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
    if problem is not None:
        names.append(f"{key}_loss.png")
        history = problem.trainer.history
        title = f"{problem.trainer.name}, {key}"
        save_figure(plotting.loss_curves(history, problem.loss_names, title), out / names[-1])
    return names
