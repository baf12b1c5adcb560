"""The EAND-ARN and EP-DL factories: scales → operators → physics → data → net → model."""

import deepxde as dde
import numpy as np

from ... import backend, metrics
from ...nets import TABLE_I, NetConfig, build_net
from ...operators import MatrixOperator, laplacian_eigenfunctions, mesh_laplacian
from ...operators.mesh_laplacian import METHODS
from ...training import Problem, Scales, Trainer, data_hash
from ...validation import as_array, check_choice, check_int, check_positive
from ..aliev_panfilov import D_DEFAULT
from ..data import EcgData
from .data import MeshTimeData
from .physics import AD, R_V_FORMS, SCHEMES, total_curvature, vertex_normals
from .presets import PRESETS, Preset

DERIVATIVES = tuple(SCHEMES)
# the feed-forward net of the paper's EP-DL comparisons (Sec. IV-A): 10 layers of 10
EP_DL_NET = NetConfig(layers=10, neurons=10)


class EANDARN(Problem):
    """An EAND-ARN (or EP-DL) problem: DeepXDE data, network and model, its trainer, results.

    Build it with :func:`eand_arn` or :func:`ep_dl`. ``data`` (a :class:`.MeshTimeData`),
    ``net`` and ``model`` are the DeepXDE objects and ``trainer`` the
    :class:`~pinn_inverse.training.Trainer` that runs them.
    """

    def __init__(self, ecg, scheme, net_config, lam, preset, scales, seed, trainer, init_draw=0):
        self.ecg, self.scheme, self.net_config = ecg, scheme, net_config
        self.init_draw = init_draw  # the initialisation kept by the screening (Preset.init_draws)
        self.derivatives, self.lam, self.preset = scheme.name, lam, preset
        self.scales, self.seed = scales, seed
        self.trainer, self.model, self.data = trainer, trainer.model, trainer.data
        self.net = self.model.net
        self.loss_names = trainer.loss_names

    def predict(self):
        """û, v̂ at every heart node and frame, shape ``(n_heart, n_frames)`` each
        (normalised, the simulator's units)."""
        out = self.model.predict(self.data.test_x)
        out = out.reshape(self.data.n_frames, self.data.n_nodes, 2)
        return out[:, :, 0].T, out[:, :, 1].T

    def evaluate(self):
        """RE, CC and MSE of û against the true u (eqs. 19-21)."""
        u_hat, _ = self.predict()
        return {
            "re": metrics.re(u_hat, self.ecg.u),
            "cc": metrics.cc(u_hat, self.ecg.u),
            "mse": metrics.mse(u_hat, self.ecg.u),
        }

    def loss_terms(self):
        """The unweighted loss terms on every node and frame, by name (nondimensional)."""
        data = self.data
        x, targets, stencil = data.test()

        def operator(inputs, outputs):
            self.net.auxiliary_vars = backend.as_tensor(stencil)
            return data.losses(backend.as_tensor(targets), outputs, None, inputs, self.model)

        values = backend.apply_operator(operator, self.net, x)
        return {name: float(v) for name, v in zip(self.loss_names, values, strict=True)}

    def ep_to_data(self):
        """λ L_EP / L_D on every node and frame (the weighted EP loss of eqs. 4 and 9 over the
        data loss of eq. 5); infinite where a term overflowed. Above 1 before training is the
        paper's bad initialisation (Sec. IV-B)."""
        terms = self.loss_terms()
        ep, data = weighted_ep(terms, self.trainer.loss_weights), terms["data"]
        ratio = ep / data if data > 0 else np.inf
        return float(ratio) if np.isfinite(ratio) else np.inf


def weighted_ep(terms, weights):
    """λ L_EP (eqs. 4 and 9): the residual terms of ``terms`` (by name, ``data`` aside) times
    their loss weights."""
    return sum(weights[name] * value for name, value in terms.items() if name != "data")


def eand_arn(data, derivatives="nd", net="NN6", lam=0.1, preset="default", seed=0):
    """Build the EAND-ARN problem (Zhu, Bilchick & Xie): a network of (x, y, z, t) → (u, v)
    on the heart surface, trained on ``L_D + λ L_EP`` (eq. 4).

    Parameters
    ----------
    data : EcgData
        Geometry, transfer matrix ``R`` (n_torso, n_heart), body-surface potentials ``y``
        (n_torso, n_frames), equally spaced frame times ``t`` (model units, ≥ 5 frames) and the
        truth ``u, v`` for :meth:`EANDARN.evaluate` (e.g. :func:`~pinn_inverse.ecg.benchmark_data`).
    derivatives : {"nd", "nd_space", "ad"}
        STND (mesh Laplacian and temporal stencils, the paper's), ΔND (mesh Laplacian, AD in
        time) or AD (see :mod:`.physics`).
    net : str or NetConfig
        A Table I network (``"NN6"``: 10 layers of 15 with 3 adaptive residual blocks) or a
        :class:`~pinn_inverse.nets.NetConfig`.
    lam : float
        λ, the weight of the EP loss (eq. 4; 0.1 in the paper, Table III).
    preset : "default" or Preset
    seed : int
        Seed of the initial weights and of the time slices.

    Scaling
    -------
    Positions are centred on the heart and divided by its radius ``L`` (or, with
    ``preset.eigenfunctions = k``, replaced by the heart's first k Laplace-Beltrami
    eigenfunctions, each of RMS 1: coordinates along the surface, for hearts whose walls put
    nodes close in space that a wave reaches far apart in time) and times mapped to
    [−1, 1] (``scales.time`` is half the duration); ``preset.input_scale = s`` multiplies
    these inputs by s (lengths in units of L / s, times of a half duration / s), a first
    layer s times steeper at the same initial weights; the network outputs u and v in the
    simulator's units. The data loss is divided by the mean square of ``y`` (a relative
    misfit, 1 for û = 0) and the residuals are in model time units. At initialisation the data
    loss is then 0.95-1.74 and, where the initialisation is good, λ L_EP is 10⁻⁴-0.62 (NN1-NN6,
    30 seeds each; u = v = 0, the resting
    state, solves eqs. 1-2, and an initial network is near it). The paper's "bad
    initialisation" survives the scaling in another form: where the initial û falls below
    −μ₂ = −0.3, ξ(u, v) = e₀ + μ₁ v / (u + μ₂) of eq. (2) passes its pole and λ L_EP reaches
    2.4-1.6·10⁷ (all but one above 60), or overflows single precision. Measured on the
    default geometry at σ = 0.01, 30 seeds, STND
    (``benchmarks/ecg_eand_arn.py --experiment init``): λ L_EP > L_D for 23 (NN1), 23 (NN2),
    16 (NN3), 8 (NN4), 17 (NN5) and 6 (NN6) of them. The default preset screens the
    initialisation instead of keeping a bad one: ``preset.init_draws`` (10) weight draws, the
    first from ``seed``, until λ L_EP ≤ L_D (``EANDARN.init_draw`` is the draw kept;
    ``init_draws=1`` keeps the seed's whatever it is). ``preset.r_v = "cleared"`` removes the
    pole (:func:`~.physics.residuals`).

    Returns
    -------
    EANDARN
    """
    return _build(data, derivatives, net, lam, preset, seed, "eand_arn")


def ep_dl(data, derivatives="ad", net=EP_DL_NET, lam=0.1, preset="default", seed=0):
    """Build the EP-DL baseline (Xie & Yao 2022): a feed-forward net with AD derivatives.

    The parameters are :func:`eand_arn`'s; the defaults are the paper's EP-DL_AD comparison
    (Sec. IV-A): a feed-forward net of 10 layers of 10 neurons, AD in space and time.
    """
    return _build(data, derivatives, net, lam, preset, seed, "ep_dl")


def _build(ecg, derivatives, net, lam, preset, seed, name):
    preset, lam, seed = _check(ecg, derivatives, net, lam, preset, seed)
    dde.config.set_random_seed(seed)
    heart = ecg.geometry.heart
    centre = heart.vertices.mean(axis=0)
    radius = float(np.linalg.norm(heart.vertices - centre, axis=1).max())
    t = np.asarray(ecg.t, dtype=float)
    potential = float(np.sqrt(np.mean(np.asarray(ecg.y) ** 2)))
    s = preset.input_scale  # the inputs span ±s: the length and time scales are divided by s
    scales = Scales(length=radius / s, potential=potential, time=(t[-1] - t[0]) / 2 / s)

    if derivatives == "ad":
        normals = vertex_normals(heart.vertices, heart.faces)
        curvature = total_curvature(heart.vertices, heart.faces, normals)
        scheme = AD(D_DEFAULT, scales, normals, curvature, preset.r_v, s)
    else:
        laplacian = MatrixOperator(mesh_laplacian(heart.vertices, heart.faces, preset.laplacian))
        scheme = SCHEMES[derivatives](D_DEFAULT, scales, laplacian, preset.r_v)

    if preset.eigenfunctions:  # intrinsic coordinates (Preset.eigenfunctions)
        nodes = s * laplacian_eigenfunctions(heart.vertices, heart.faces, preset.eigenfunctions)[1]
    else:
        nodes = s * (heart.vertices - centre) / radius
    data = MeshTimeData(
        nodes,
        t,
        np.asarray(ecg.y) / potential,
        MatrixOperator(np.asarray(ecg.R) / potential),
        scheme.residuals,
        preset.n_slices,
        seed=seed,
        period=preset.resample_period,
        stencil=scheme.stencil,
        input_times=s * ((t - t[0]) / ((t[-1] - t[0]) / 2) - 1.0),
    )
    names = ["data", *scheme.loss_names]
    unknown = set(preset.weights) - set(names)
    if unknown:
        raise ValueError(
            f"preset weights for unknown loss terms {sorted(unknown)}; {derivatives!r} has {names}"
        )
    weights = [preset.weights.get(n, 1.0 if n == "data" else lam) for n in names]
    fingerprint = _fingerprint(ecg, derivatives, net, lam, preset, seed, name)  # every draw's
    # initialisation screening: draw k's weights come from (seed, k), draw 0's from seed alone;
    # the first draw whose λ L_EP ≤ L_D is kept, else the one with the smallest λ L_EP / L_D
    tried = []
    for draw in range(preset.init_draws):
        network = build_net(net, nodes.shape[1] + 1, 2, seed=seed if draw == 0 else [seed, draw])
        trainer = Trainer(
            dde.Model(data, network),
            names,
            weights,
            resampler=data,
            fingerprint=fingerprint,
            name="EAND-ARN" if name == "eand_arn" else "EP-DL",
        )
        trainer.compile(preset.first_stage())  # compiled, as DeepXDE users expect
        problem = EANDARN(ecg, scheme, net, lam, preset, scales, seed, trainer, draw)
        tried.append((problem.ep_to_data(), problem))
        if tried[-1][0] <= 1.0:
            break
    return min(tried, key=lambda pair: pair[0])[1]


def _fingerprint(ecg, derivatives, net, lam, preset, seed, name):
    """The whole recipe a checkpoint must match (its schedule is checked apart)."""
    recipe = preset.asdict()
    del recipe["iterations"], recipe["lbfgs"]
    heart = ecg.geometry.heart
    return {
        "problem": name,
        "derivatives": derivatives,
        "net": net if isinstance(net, str) else vars(net),
        "lam": lam,
        "preset": recipe,
        "heart_sha256": data_hash(heart.vertices, heart.faces),
        "R_sha256": data_hash(ecg.R),
        "y_sha256": data_hash(ecg.y),
        "t_sha256": data_hash(ecg.t),
        "seed": seed,
    }


def _check(ecg, derivatives, net, lam, preset, seed):
    if not isinstance(ecg, EcgData):
        raise TypeError(f"data must be an EcgData (see benchmark_data), got {type(ecg).__name__}")
    check_choice(derivatives, "derivatives", DERIVATIVES)
    if isinstance(preset, str):
        preset = PRESETS[check_choice(preset, "preset", PRESETS)]
    if not isinstance(preset, Preset):
        raise TypeError(f"preset must be a name or an eand_arn Preset, got {type(preset).__name__}")
    check_choice(preset.laplacian, "laplacian", METHODS)
    check_choice(preset.r_v, "r_v", R_V_FORMS)
    check_int(preset.init_draws, "preset.init_draws", minimum=1)
    check_positive(preset.input_scale, "preset.input_scale")
    if check_int(preset.eigenfunctions, "preset.eigenfunctions", minimum=0) and derivatives == "ad":
        raise ValueError(
            "preset.eigenfunctions > 0 replaces the positions by eigenfunctions, but AD "
            "differentiates the network in x, y, z: use derivatives 'nd' or 'nd_space' with it"
        )
    if isinstance(net, str):
        check_choice(net, "net", TABLE_I)
    elif not isinstance(net, NetConfig):
        raise TypeError(f"net must be a Table I name or a NetConfig, got {type(net).__name__}")
    lam = float(as_array(lam, "lam", shape=()))
    if lam < 0:
        raise ValueError(f"lam must be >= 0 (the EP loss weight), got {lam}")
    n_heart = ecg.geometry.heart.n_nodes
    R = as_array(ecg.R, "data.R", ndim=2)
    y = as_array(ecg.y, "data.y", ndim=2)
    t = as_array(ecg.t, "data.t", ndim=1)
    if R.shape[1] != n_heart:
        raise ValueError(f"data.R has shape {R.shape} but the heart has {n_heart} nodes")
    if y.shape[0] != R.shape[0]:
        raise ValueError(
            f"data.y has {y.shape[0]} leads but data.R maps to {R.shape[0]}: y must be "
            f"(n_torso, n_frames) = ({R.shape[0]}, n_frames)"
        )
    if len(t) < 5:
        raise ValueError(f"data.t has {len(t)} frames; the temporal stencils need at least 5")
    if y.shape[1] != len(t):
        raise ValueError(f"data.y has {y.shape[1]} frames but data.t has {len(t)}")
    return preset, lam, check_int(seed, "seed", minimum=0)
