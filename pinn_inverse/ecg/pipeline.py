"""ECG: Aliev-Panfilov heart truth, BEM torso maps with noise, EAND-ARN beside Tikhonov and STRE.

``pinn-inverse run ecg [--quick] [--method eand-arn|ep-dl|none] [--derivatives ad|nd_space|nd]
[--net NN1..NN6] [--eigenfunctions K] [--noise σ ...]
[--geometry default|ecgsim | --heart FILE --torso FILE] [--forward-subdivisions K]``
simulates one beat paced at the apex (the lowest heart node) on the heart, maps it to the
torso with the BEM transfer matrix, adds noise at each level, reconstructs the heart
potentials with every baseline and with the chosen network method (trained on the same data)
and scores them with RE, CC and MSE (EAND-ARN eqs. 19-21). ``--sigma`` is an alias of
``--noise``. With ``--forward-subdivisions K`` the torso data come from a finer forward model
than the R the methods invert (:func:`~pinn_inverse.ecg.benchmark_data`).

A user's geometry is a heart file and a torso file in any format the readers take
(:func:`read_surface_file`): a ``.pts``/``.fac`` pair named by either file, an ECGSim
``.tri``, or anything trimesh reads. Both are checked (closed, outward, no degenerate
triangles) and the heart must lie strictly inside the torso.
"""

import argparse
import time
from pathlib import Path

import numpy as np

from ..io import save_figure
from ..metrics import cc, mse, re
from ..operators import mesh_laplacian
from ..validation import check_positive
from . import plotting
from .baselines import TikhonovPath, stre
from .data import NOISE_LEVELS, benchmark_data
from .geometry import check_nested, read_pts_fac, read_surface, read_tri
from .study import DEFAULTS, GEOMETRIES, geometry_of, parse_net, scores

METHODS = (*DEFAULTS, "none")
# metres per file length unit when --unit is not given: the readers' defaults
DEFAULT_UNITS = {".pts": 1e-3, ".fac": 1e-3, ".tri": 1.0}
# the heart's largest extent (m) a run accepts: a human heart spans about 0.1 m, and a file
# read in the wrong unit is off by a factor of 1000 (Aliev-Panfilov's D is in m²)
HEART_SIZE = (0.02, 0.5)


def add_arguments(parser):
    """ECG options: geometry, noise levels, frame count and the network method."""
    parser.add_argument(
        "--geometry",
        choices=GEOMETRIES,
        default=None,
        help="a built-in geometry (default: default; ecgsim: ECGSim's ventricles split once)",
    )
    parser.add_argument(
        "--heart",
        type=Path,
        metavar="FILE",
        help="heart surface file: .pts (with its .fac beside it) or .fac, .tri, or any "
        "format trimesh reads (.stl, .obj, .ply, .off, ...); needs --torso",
    )
    parser.add_argument(
        "--torso", type=Path, metavar="FILE", help="torso surface file (as --heart)"
    )
    parser.add_argument(
        "--unit",
        type=float,
        default=None,
        help="metres per length unit of the --heart and --torso files (default: 0.001 for "
        ".pts/.fac, 1 for .tri and the trimesh formats)",
    )
    parser.add_argument(
        "--noise",
        "--sigma",
        dest="sigma",
        type=float,
        nargs="+",
        default=None,
        help=f"noise levels on the torso potentials (default {NOISE_LEVELS}; quick: 0.05)",
    )
    parser.add_argument(
        "--forward-subdivisions",
        type=_count,
        default=0,
        metavar="K",
        help="0 (default): the torso data simulated with the R the methods invert (the inverse "
        "crime, the paper's setting); K >= 1: with both surfaces split K more times, the heart "
        "data interpolated",
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
        help="NN1..NN6 (Table I), FNN<layers>x<neurons> or ARN<layers>x<neurons> (adaptive "
        "blocks, layers = 3 blocks + 1; default: NN6 for eand-arn, FNN10x10 for ep-dl)",
    )
    parser.add_argument(
        "--eigenfunctions",
        type=_count,
        default=0,
        help="the network's spatial inputs: 0, the node positions (the paper's, the "
        "default); K, the heart's first K Laplace-Beltrami eigenfunctions (nd and nd_space "
        "derivatives only)",
    )


def _net(value):
    try:
        parse_net(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return value


def _count(value):
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {value!r}")
    return int(value)


def read_surface_file(path, unit=None, name="surface"):
    """Read one surface, choosing the reader by the file's suffix.

    Parameters
    ----------
    path : path
        ``.pts`` or ``.fac`` (the pair, same stem, in one folder; :func:`read_pts_fac`),
        ``.tri`` (:func:`read_tri`) or any format trimesh reads (:func:`read_surface`).
    unit : float, optional
        Metres per file length unit; default 1e-3 for ``.pts``/``.fac`` (mm), 1 otherwise.
    name : str
        Name used in error messages.

    Returns
    -------
    Surface
        Checked by :func:`~pinn_inverse.ecg.geometry.check_surface`.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    unit = DEFAULT_UNITS.get(suffix, 1.0) if unit is None else float(check_positive(unit, "unit"))
    files = (
        [path.with_suffix(".pts"), path.with_suffix(".fac")]
        if suffix in (".pts", ".fac")
        else [path]
    )
    for file in files:
        if not file.is_file():
            raise ValueError(f"{name} file {file} does not exist")
    try:
        if suffix in (".pts", ".fac"):
            return read_pts_fac(*files, unit=unit, name=name)
        if suffix == ".tri":
            return read_tri(path, unit=unit, name=name)
        return read_surface(path, unit=unit, name=name)
    except (OSError, ValueError, IndexError) as err:
        raise ValueError(
            f"cannot use {name} file {path}: {err} (accepted: a .pts/.fac pair, .tri, or a "
            "format trimesh reads)"
        ) from None


def read_geometry(heart, torso, unit=None):
    """A checked :class:`~pinn_inverse.ecg.geometry.Geometry` from a heart and a torso file.

    Each file is read by :func:`read_surface_file`; the heart's largest extent must be
    within ``HEART_SIZE`` (2-50 cm: a file in mm read as m is refused, not simulated) and the
    heart strictly inside the torso (:func:`~pinn_inverse.ecg.geometry.check_nested`).
    """
    heart = read_surface_file(heart, unit, "heart")
    torso = read_surface_file(torso, unit, "torso")
    size = float(np.ptp(heart.vertices, axis=0).max())
    if not HEART_SIZE[0] <= size <= HEART_SIZE[1]:
        raise ValueError(
            f"the heart spans {size:.4g} m; a heart spans {HEART_SIZE[0]}-{HEART_SIZE[1]} m: "
            "give the files' length unit with --unit (metres per file unit, e.g. 0.001 for mm)"
        )
    return check_nested(heart, torso)


def _geometry(args):
    """The geometry the options name, and how the report names it."""
    if (args.heart is None) != (args.torso is None):
        raise ValueError("give both --heart and --torso (a user's geometry needs both surfaces)")
    if args.heart is not None:
        if args.geometry is not None:
            raise ValueError("give either --geometry or --heart and --torso, not both")
        return read_geometry(args.heart, args.torso, args.unit), {
            "heart": str(args.heart),
            "torso": str(args.torso),
            "unit": args.unit,
        }
    if args.unit is not None:
        raise ValueError("--unit is the length unit of --heart and --torso: give them too")
    name = args.geometry or "default"
    return geometry_of(name, args.quick), name


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
    if method == "none" and (args.derivatives or args.net or args.eigenfunctions):
        args.fail(
            "--derivatives, --net and --eigenfunctions choose the network: give --method "
            "eand-arn|ep-dl"
        )
    if args.eigenfunctions and (args.derivatives or DEFAULTS.get(method, ("",))[0]) == "ad":
        args.fail(
            "--eigenfunctions replaces the positions the AD derivatives differentiate in: give "
            "--derivatives nd or nd_space with it"
        )
    try:
        geometry, geometry_name = _geometry(args)
    except ValueError as err:
        args.fail(str(err))
    heart = geometry.heart
    config = {
        "geometry": geometry_name,
        "n_heart": heart.n_nodes,
        "n_torso": geometry.torso.n_nodes,
        "sigmas": sigmas,
        "frames": frames,
        "forward_subdivisions": args.forward_subdivisions,
        "seed": args.seed,
        "laplacian": "fdm (eq. 15)",
    }
    if method != "none":
        derivatives, net = DEFAULTS[method]
        config["method"] = {
            "name": method,
            "derivatives": args.derivatives or derivatives,
            "net": args.net or net,
            "lam": 0.1,
            "eigenfunctions": args.eigenfunctions,
        }
    metrics, figures, lambdas, training = {}, [], {}, {}
    for sigma in sigmas:
        data = benchmark_data(
            sigma,
            seed=args.seed,
            geometry=geometry,
            n_frames=frames,
            progress=True,
            forward_subdivisions=args.forward_subdivisions,
        )
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
                "preset": problem.preset.asdict(),
                "init_draw": problem.init_draw,
                "rollbacks": problem.trainer.rollbacks,  # the divergence guard's, if any
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
    preset = preset.replace(eigenfunctions=method["eigenfunctions"])
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
    """The run's figures for one noise level; their file names, in ``out``."""
    frame = plotting.front_frame(data.u)
    estimates = {"truth": data.u, **shown}
    maps = {name: u[:, frame] for name, u in estimates.items()}
    times = {name: plotting.activation_times(u, data.t) for name, u in estimates.items()}
    node = int(np.argmax(data.geometry.heart.vertices[:, 0]))
    label = f"(t = {data.t[frame]:.1f}, {key})"
    lc = recs["Tikhonov 2 (L-curve)"][0]
    figures = {
        "heart_maps": plotting.heart_maps(data.geometry, maps, label),
        "activation_maps": plotting.activation_maps(data.geometry, times),
        "time_course": plotting.time_course(data.t, node, data.u, shown),
        "lcurve": plotting.lcurve(lc, f"Tikhonov 2, {key}"),
    }
    if problem is not None:
        title = f"{problem.trainer.name}, {key}"
        figures["loss"] = plotting.loss_curves(problem.trainer.history, problem.loss_names, title)
    for name, fig in figures.items():
        save_figure(fig, out / f"{key}_{name}.png")
    return [f"{key}_{name}.png" for name in figures]
