"""EAND-ARN as a sweep runner: one seed of the paper's setting, scored, as a flat dict.

``pinn-inverse sweep`` calls :func:`run` under the built-in runner name ``eand_arn``::

    runner: eand_arn
    grid: {derivatives: [ad, nd_space, nd], method: [ep-dl], net: [FNN10x10]}
    seeds: [0, 1, 2]

``benchmarks/ecg_eand_arn.py`` runs the paper's experiments through it. Each cell simulates
the benchmark (:func:`~pinn_inverse.ecg.benchmark_data`: Aliev-Panfilov truth, BEM torso map,
seeded noise σ), trains EAND-ARN or EP-DL on it, and scores it and the paper's baselines
(second-order Tikhonov with the L-curve, STRE) on the same data with RE, CC and MSE
(eqs. 19-21).

Bad initialisation (Sec. IV-B, Table II: "the EP loss term dominates the data-driven loss at
the beginning epochs"): ``bad_init`` is 1 where, before any training step, the weighted EP
loss λ L_EP (eqs. 4 and 9: the residual terms times their loss weights) exceeds the data loss
L_D (eq. 5), both on every heart node and frame, and 0 otherwise.
"""

import math
import re as regex
import time

from ..backend import set_backend
from ..io import shared_data
from ..metrics import cc, mse, re
from ..operators import mesh_laplacian
from ..validation import check_choice, check_int
from .data import benchmark_data
from .geometry import load_default_geometry, load_ecgsim_geometry

METHODS = ("eand-arn", "ep-dl")
# each method's (derivatives, net) when not given: the paper's EAND-ARN (STND, NN6) and its
# EP-DL_AD comparison (AD, 10 feed-forward layers of 10; problem.EP_DL_NET)
DEFAULTS = {"eand-arn": ("nd", "NN6"), "ep-dl": ("ad", "FNN10x10")}
GEOMETRIES = ("default", "ecgsim")
NAMED = regex.compile(r"(FNN|ARN)(\d+)x(\d+)")


def parse_net(net):
    """A Table I name (``"NN1"``-``"NN6"``), ``"FNN<layers>x<neurons>"`` (a feed-forward net,
    e.g. ``"FNN10x10"``, EP-DL's) or ``"ARN<layers>x<neurons>"`` (adaptive residual blocks as
    in NN2, NN4, NN6: ``layers = 3 blocks + 1``, e.g. ``"ARN10x30"``, NN6 twice as wide) as a
    :class:`~pinn_inverse.nets.NetConfig`."""
    from ..nets import TABLE_I, NetConfig  # imports DeepXDE: after the backend is chosen

    if isinstance(net, str) and net in TABLE_I:
        return TABLE_I[net]
    match = NAMED.fullmatch(net) if isinstance(net, str) else None
    if match is None or (match[1] == "ARN" and (int(match[2]) < 4 or (int(match[2]) - 1) % 3)):
        raise ValueError(
            f"net must be one of {', '.join(TABLE_I)}, FNN<layers>x<neurons> (e.g. FNN10x10) "
            f"or ARN<layers>x<neurons> with layers = 3 blocks + 1, blocks ≥ 1 (e.g. ARN10x30), "
            f"got {net!r}"
        )
    layers, neurons = int(match[2]), int(match[3])
    blocks = (layers - 1) // 3 if match[1] == "ARN" else 0
    return NetConfig(layers=layers, neurons=neurons, blocks=blocks)


def geometry_of(name, quick=False):
    """The default geometry or ECGSim's (heart split once: 1022 nodes; quick: thorax native)."""
    if check_choice(name, "geometry", GEOMETRIES) == "default":
        return load_default_geometry()
    folder = shared_data("ecg", "ecgsim")  # ECGSim's ventricles and thorax
    return load_ecgsim_geometry(folder, subdivisions=1, torso_subdivisions=0 if quick else 1)


def scores(u_hat, u, prefix=""):
    """RE, CC and MSE of ``u_hat`` against ``u`` (eqs. 19-21), keys prefixed."""
    return {f"{prefix}re": re(u_hat, u), f"{prefix}cc": cc(u_hat, u), f"{prefix}mse": mse(u_hat, u)}


def loss_summary(problem, prefix):
    """The unweighted loss terms on every node and frame, L_D and the weighted EP loss.

    A term can overflow to infinity (single precision), where û nearly touches ξ's pole: such
    a value is ``None`` (a sweep record holds finite numbers only), the weighted EP loss then
    too, and ``<prefix>_finite`` is 0 (1 when every term is finite), so a mean over seeds
    says how many it left out.
    """
    from .eand_arn.problem import weighted_ep  # imports DeepXDE: after the backend is chosen

    terms = problem.loss_terms()
    ep = weighted_ep(terms, problem.trainer.loss_weights)
    out = {f"{prefix}_{name}": value for name, value in terms.items()}
    out[f"{prefix}_ep"] = ep
    finite = all(math.isfinite(value) for value in out.values())
    out = {name: value if math.isfinite(value) else None for name, value in out.items()}
    out[f"{prefix}_finite"] = float(finite)
    return out


def bad_init(summary):
    """1.0 if λ L_EP > L_D in a :func:`loss_summary` with prefix ``init`` (an overflowed
    λ L_EP, ``None``, is the larger), else 0.0: the paper's bad initialisation."""
    ep, data = summary["init_ep"], summary["init_data"]
    return float(ep is None or (data is not None and ep > data))


def run(
    seed=0,
    method="eand-arn",
    derivatives=None,
    net=None,
    lam=0.1,
    sigma=0.01,
    geometry="default",
    forward_subdivisions=0,
    pacing_node=None,
    iterations=None,
    lbfgs=None,
    learning_rate=None,
    slices=None,
    r_v=None,
    init_draws=None,
    rollback=None,
    eigenfunctions=None,
    input_scale=None,
    frames=None,
    backend=None,
    quick=False,
):
    """Simulate, train EAND-ARN (or EP-DL) once and score it beside Tikhonov-2 and STRE.

    Parameters
    ----------
    seed : int
        Seed of the torso noise, the network's initial weights and the time slices.
    method : {"eand-arn", "ep-dl"}
    derivatives : {"nd", "nd_space", "ad"}, optional
        The EP loss's derivative scheme; default ``"nd"`` (STND) for EAND-ARN, ``"ad"`` for
        EP-DL.
    net : str, optional
        ``"NN1"``-``"NN6"`` (Table I), ``"FNN<layers>x<neurons>"`` or
        ``"ARN<layers>x<neurons>"`` (:func:`parse_net`); default ``"NN6"`` for
        EAND-ARN, ``"FNN10x10"`` for EP-DL.
    lam : float
        λ of eq. (4).
    sigma : float
        Noise standard deviation on the torso potentials (normalised units).
    geometry : {"default", "ecgsim"}
    forward_subdivisions : int
        0: the torso data simulated with the R the methods invert (the inverse crime, the
        paper's setting); k: with both surfaces split k more times
        (:func:`~pinn_inverse.ecg.benchmark_data`).
    pacing_node : int, optional
        The heart node the beat starts from; default the apex (the lowest node), the setting
        every benchmark table reports. Another site gives validation data for choosing
        training settings without touching the test beat.
    iterations, lbfgs : int, optional
        Adam steps and L-BFGS iterations (default: the preset's); both 0 scores the initial
        network.
    learning_rate : float or sequence of floats, optional
        Adam's learning rate, or a piecewise-constant schedule of rates (the Adam steps in as
        many equal stages; :class:`~pinn_inverse.training.Preset`); default: the preset's.
    slices : int, optional
        Centre frames per Adam step (the preset's ``n_slices``).
    r_v : {"eq7", "cleared"}, optional
        The form of eq. (7) in the EP loss (the preset's ``r_v``; :func:`~.eand_arn.residuals`).
    init_draws : int, optional
        Weight draws of the initialisation screening (the preset's ``init_draws``; 1: none).
    rollback : float, optional
        The Adam stages' divergence guard (the preset's ``rollback``; 0: off;
        :class:`~pinn_inverse.training.Stage`).
    eigenfunctions : int, optional
        The network's spatial inputs: 0, the positions; k, the heart's first k Laplace-Beltrami
        eigenfunctions (the preset's ``eigenfunctions``).
    input_scale : float, optional
        Factor on the network's inputs (the preset's ``input_scale``; 1, the paper's).
    frames : int, optional
        Frames of the 60-unit beat (default 661, the paper's; quick 61).
    backend : {"tensorflow", "pytorch"}, optional
        The DeepXDE backend, set before DeepXDE is imported; default: the active one.
    quick : bool
        The preset's quick variant (4 slices, 30 Adam steps, no L-BFGS) and 61 frames.

    Returns
    -------
    dict
        ``re``, ``cc``, ``mse`` of the method; ``tikhonov2_*`` (L-curve) and ``stre_*`` on the
        same data; ``init_<term>`` and ``final_<term>`` (unweighted terms ``data``, ``r_u``,
        ``r_v``, and ``r_b`` for AD), ``init_ep`` and ``final_ep`` (λ L_EP), each ``None``
        where it overflowed, ``init_finite`` and ``final_finite`` (:func:`loss_summary`),
        ``bad_init`` (1 if ``init_ep > init_data`` or ``init_ep`` overflowed, see the module
        docstring), of the initialisation kept, and ``init_draw``, the screening's draw that
        was kept (0: the seed's own); ``rollbacks``, how many times the divergence guard
        restored earlier weights; ``wall_s`` (training),
        ``run_s`` (with data, baselines and scoring), ``adam_step_s``, ``lbfgs_s``,
        ``n_heart``, ``frames``.
    """
    if backend is not None:
        set_backend(backend)
    # imported here: DeepXDE starts its backend on import, and a sweep checks this function's
    # signature in the driver before any cell runs
    from .eand_arn import DERIVATIVES, PRESETS, eand_arn, ep_dl
    from .pipeline import baselines

    begin = time.perf_counter()
    check_choice(method, "method", METHODS)
    # refused here, before the data and the baselines (seconds)
    derivatives = check_choice(derivatives or DEFAULTS[method][0], "derivatives", DERIVATIVES)
    config = parse_net(net or DEFAULTS[method][1])
    frames = (61 if quick else 661) if frames is None else check_int(frames, "frames", minimum=5)
    preset = PRESETS["default"].quick() if quick else PRESETS["default"]
    changes = {
        "learning_rate": learning_rate,
        "n_slices": slices,
        "r_v": r_v,
        "init_draws": init_draws,
        "rollback": rollback,
        "eigenfunctions": eigenfunctions,
        "input_scale": input_scale,
    }
    preset = preset.replace(**{k: v for k, v in changes.items() if v is not None})

    data = benchmark_data(
        sigma,
        seed=seed,
        geometry=geometry_of(geometry, quick),
        n_frames=frames,
        forward_subdivisions=forward_subdivisions,
        pacing_node=pacing_node,
    )
    heart = data.geometry.heart
    recs = baselines(data, mesh_laplacian(heart.vertices, heart.faces), quick=True)
    build = eand_arn if method == "eand-arn" else ep_dl
    problem = build(data, derivatives=derivatives, net=config, lam=lam, preset=preset, seed=seed)
    out = loss_summary(problem, "init")
    out["bad_init"] = bad_init(out)
    out["init_draw"] = problem.init_draw
    start = time.perf_counter()
    if preset.stages(iterations, lbfgs):
        problem.train(iterations=iterations, lbfgs=lbfgs, progress=False)
    wall = time.perf_counter() - start
    out.update(loss_summary(problem, "final"))
    timings = problem.timings
    return {
        **scores(problem.predict()[0], data.u),
        **scores(recs["Tikhonov 2 (L-curve)"][0].u, data.u, "tikhonov2_"),
        **scores(recs["STRE"][0].u, data.u, "stre_"),
        **out,
        "rollbacks": len(problem.trainer.rollbacks),
        "wall_s": wall,
        "run_s": time.perf_counter() - begin,
        "adam_step_s": timings.get("adam_step_s"),
        "lbfgs_s": timings.get("lbfgs_s", 0.0),
        "n_heart": heart.n_nodes,
        "frames": frames,
    }
