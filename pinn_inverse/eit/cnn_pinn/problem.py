"""The CNN-PINN factory: stage 1 (ΔV → U image) and stage 2 (the σ-PINN), as a DeepXDE script.

Stage 2 reads like the paper's Sec. II-C: the disk, the pixel collocation points with ∇U and ΔU
of the image as auxiliary variables, the loss of eq. (2) (:mod:`.sigma_pinn`), the residual
tanh MLP, ``dde.Model``, and the shared :class:`~pinn_inverse.training.Trainer`.
"""

from dataclasses import dataclass, field

import deepxde as dde
import numpy as np

from ...nets.residual_mlp import ResidualMLP
from ...training import Preset as TrainingPreset
from ...training import Problem, Scales, Trainer, data_hash
from ...validation import as_array, check_choice, check_int, check_positive
from ..image import ImageGrid
from ..mesh import EITMesh, disk_mesh
from ..patterns import trigonometric_pattern
from .sigma_pinn import (
    PAPER_WEIGHTS,
    RESIDUALS,
    TERMS,
    SigmaData,
    boundary_current_density,
    pixel_aux,
)


@dataclass(frozen=True)
class Preset(TrainingPreset):
    """A σ-PINN training recipe (:class:`pinn_inverse.training.Preset` plus the network and
    eq. (2)'s constants).

    ``weights`` maps the terms of :data:`~.sigma_pinn.TERMS` to their weights (Table I's in
    the ``"paper"`` preset; the ``"default"`` one raises α and lowers τ, see :data:`PRESETS`);
    ``hidden`` are the widths of the residual MLP's hidden layers; ``top_m`` is M and ``xi``
    ξ of eq. (2); ``formulation`` the PDE residual, ``"divergence"`` (eq. 2 as printed) or
    ``"log"`` (divided by σ, see :mod:`.sigma_pinn`). The collocation points are the image's
    pixels, fixed: ``resample_period`` is unused.
    """

    learning_rate: float = 1e-3
    iterations: int = 3000
    weights: dict = field(default_factory=lambda: dict(PAPER_WEIGHTS))
    hidden: tuple = (64, 64, 64, 64)
    top_m: int = 40
    xi: float = 1e-4
    formulation: str = "divergence"

    def quick(self):
        """The same recipe at demo and test sizes: 300 Adam steps, no L-BFGS."""
        return self.replace(iterations=300, lbfgs=0)


PRESETS = {
    # Sec. II-C and Table I as printed: 4 × 64 tanh with residual connections, the weights
    # α…ζ; Adam at 10⁻³ (the middle of the paper's search range; its decay by 0.9 every 200
    # epochs is not applied)
    "paper": Preset(),
    # Table I with α = 1 (not 0.01), τ = 0.1 (not 1) and the residual divided by σ ("log").
    # With Table I's weights the TV term outweighs the PDE's and training ends at σ ≡ 1: for
    # the smooth 1 → 2 S/m inclusion of tests/test_eit_sigma_pinn.py (G = 32, oracle U, seed
    # 0, TensorFlow) the weighted TV at the truth is 0.76 against 0.003 for the PDE residual,
    # and the relative error after 300 / 1000 / 3000 steps is 0.23 / 0.25 / 0.24 (σ ≡ 1:
    # 0.245). With α = 1 and τ = 0.01: 0.085 / 0.048 / 0.028 on eq. (2)'s residual, 0.073 /
    # 0.067 / 0.068 on "log" (its background 1.12 instead of 1.08). On a sharp 2.07 S/m circle
    # (random_phantom("circle"), seed 0, G = 64, 3000 steps) eq. (2)'s residual pulls σ below
    # the background (SSIM / CC / RIE 0.59 / 0.14 / 0.41; σ ≡ 1: RIE 0.22), "log" does not
    # (0.89 / 0.90 / 0.17; PyTorch 0.90 / 0.89 / 0.19). τ = 0.1 then chosen on simulated
    # validation phantoms (benchmarks/eit_unet_validation.py: the cpu U-Net's U, 5 phantoms a
    # case, 20 dB): mean SSIM / CC 0.850 / 0.776 against 0.802 / 0.752 at 0.01 and 0.841 /
    # 0.752 at 0.3 (3000 steps; 6000 at 0.1: 0.792 / 0.691; NOSER 0.745 / 0.764), never on the
    # test phantoms.
    "default": Preset(weights={**PAPER_WEIGHTS, "pde": 1.0, "tv": 0.1}, formulation="log"),
}


class CNNPINN(Problem):
    """The two-stage CNN-PINN problem: stage 1 (``unet``) and stage 2's DeepXDE objects.

    Build it with :func:`cnn_pinn`. ``data``, ``net`` and ``model`` are stage 2's DeepXDE
    objects and ``trainer`` the :class:`~pinn_inverse.training.Trainer` that runs them, so a
    DeepXDE user can add callbacks, compile another stage or call ``model.train`` directly.
    ``U`` is the potential image stage 2 trains on (V), ``mask`` its disk, ``scales`` the
    nondimensionalisation (lengths by the radius, U by max |U|, σ by the background).
    """

    display_every = 100

    def __init__(self, unet, U, mask, scales, preset, seed, oracle, trainer):
        self.unet, self.U, self.mask = unet, U, mask
        self.scales, self.preset, self.seed, self.oracle = scales, preset, seed, oracle
        self.trainer, self.model, self.data = trainer, trainer.model, trainer.data
        self.net = self.model.net
        self.loss_names = trainer.loss_names

    def predict(self):
        """The reconstructed conductivity image (G, G) (S/m), 0 outside the mask (as the
        ``sigma`` images of :func:`~pinn_inverse.eit.dataset.make_dataset`)."""
        sigma = self.model.predict(self.data.pixel_points)[:, 0] * self.scales.sigma
        image = np.zeros(self.mask.shape)
        image[self.mask] = sigma
        return image


def cnn_pinn(
    dV=None,
    unet=None,
    *,
    U=None,
    oracle=False,
    mesh=None,
    currents=None,
    background=1.0,
    preset="default",
    seed=0,
):
    """Build the two-stage CNN-PINN problem (Yang et al. 2025).

    Stage 1 maps the boundary voltages to the potential image, ``U = unet.predict(dV)``;
    stage 2 trains the σ-PINN on that image. With ``oracle=True`` stage 2 trains on a given
    image ``U`` instead (the true potential: a study of stage 2 alone).

    Parameters
    ----------
    dV : array_like, shape (L,), optional
        Adjacent-electrode voltage differences (V), stage 1's input; required unless oracle.
    unet : UNetStage or object with ``predict(dV)``, optional
        Stage 1: ``predict`` maps voltages (L,) to a potential image (G, G) (V); a ``check``
        method, where it has one, refuses another electrode count or current pattern than
        it was trained for. Required unless oracle (and then kept as ``.unet`` when given).
    U : array_like, shape (G, G), optional
        The potential image (V) for ``oracle=True``, rows from the top (y = +R), e.g. the
        ``U`` of :func:`~pinn_inverse.eit.dataset.make_dataset`.
    oracle : bool
        Train stage 2 on ``U`` instead of stage 1's prediction.
    mesh : EITMesh, optional
        The disk and its electrodes; its pixel mask is the domain. Default: the dataset's
        (16 electrodes, unit radius, h = 0.06).
    currents : array_like, shape (L,) or (L, 1), optional
        The current pattern that drove U (A). Default: the paper's g
        (:func:`~pinn_inverse.eit.patterns.trigonometric_pattern`).
    background : float
        The background conductivity (S/m): σ's scale, and σ* on the boundary (the paper: 1).
    preset : {"default", "paper"} or Preset
    seed : int
        Seed of the network's initial weights.

    Returns
    -------
    CNNPINN
    """
    mesh = disk_mesh(16, h=0.06) if mesh is None else mesh
    if not isinstance(mesh, EITMesh):
        raise TypeError(f"mesh must be an EITMesh, got {type(mesh).__name__}")
    preset = _check_preset(preset)
    seed = check_int(seed, "seed", minimum=0)
    background = float(check_positive(background, "background"))
    currents = _check_currents(currents, mesh)
    U = _potential_image(dV, unet, U, oracle, mesh, currents)
    mask = ImageGrid(mesh, U.shape[0]).mask
    scale = float(np.abs(U[mask]).max())
    if scale == 0:
        raise ValueError("U is zero on every pixel of the disk: there is no potential to fit")
    scales = Scales(length=mesh.radius, potential=scale, sigma=background)
    dde.config.set_random_seed(seed)

    geom = dde.geometry.Disk([0.0, 0.0], 1.0)
    spacing = 2.0 / U.shape[0]  # nondimensional pixel size

    def g(angles):
        """σ ∂U/∂n on the boundary (eq. 1), nondimensional: j R / (σ_b U_scale)."""
        j = boundary_current_density(mesh, currents, angles)
        return j * scales.length / (scales.sigma * scales.potential)

    points, aux = pixel_aux(U / scales.potential, mask, spacing, g)
    data = SigmaData(
        geom,
        points,
        aux,
        spacing,
        top_m=preset.top_m,
        xi=preset.xi,
        sigma_boundary=1.0,
        formulation=preset.formulation,
    )
    net = ResidualMLP([2, *preset.hidden, 1], seed=seed)
    # σ = exp(network): positive everywhere, and 1 (the background) where the output is 0
    net.apply_output_transform(lambda x, y: dde.backend.exp(y))
    model = dde.Model(data, net)
    trainer = Trainer(
        model,
        TERMS,
        [preset.weights[name] for name in TERMS],
        fingerprint=_fingerprint(U, mesh, currents, background, preset, seed),
        name="σ-PINN",
    )
    trainer.compile(preset.first_stage())  # compiled, as DeepXDE users expect
    return CNNPINN(unet, U, mask, scales, preset, seed, bool(oracle), trainer)


def _check_preset(preset):
    if isinstance(preset, str):
        preset = PRESETS[check_choice(preset, "preset", PRESETS)]
    if not isinstance(preset, Preset):
        raise TypeError(f"preset must be a name or a cnn_pinn Preset, got {type(preset).__name__}")
    check_choice(preset.formulation, "formulation", RESIDUALS)
    missing = set(TERMS) - set(preset.weights)
    if missing:
        raise ValueError(f"preset weights lack the terms {sorted(missing)}; terms: {TERMS}")
    return preset


def _potential_image(dV, unet, U, oracle, mesh, currents):
    """Stage 2's potential image (V): the given ``U`` (oracle) or stage 1's prediction."""
    if not isinstance(oracle, bool):
        raise TypeError(f"oracle must be True or False, got {oracle!r}")
    if oracle:
        if U is None:
            raise ValueError("oracle=True trains on a given potential image: pass U (G, G) in V")
    else:
        if U is not None:
            raise ValueError(
                "U is the oracle's potential image: pass oracle=True to train on it, or dV "
                "and unet (without U) to predict it"
            )
        if dV is None or unet is None:
            raise ValueError(
                "cnn_pinn needs dV (L,) in V and unet (stage 1, with predict) unless "
                "oracle=True with the potential image U"
            )
        if not callable(getattr(unet, "predict", None)):
            raise TypeError(f"unet must have a predict(dV) method, got {type(unet).__name__}")
        if callable(getattr(unet, "check", None)):
            unet.check(n_electrodes=mesh.n_electrodes, currents=currents)
        U = np.asarray(unet.predict(as_array(dV, "dV", shape=(mesh.n_electrodes,))))
    U = as_array(U, "U", ndim=2)
    if U.shape[0] != U.shape[1] or U.shape[0] < 8:
        raise ValueError(f"U must be a square image of at least 8 × 8 pixels, got {U.shape}")
    return U


def _check_currents(currents, mesh):
    L = mesh.n_electrodes
    if currents is None:
        return trigonometric_pattern(L)[:, 0]
    currents = as_array(currents, "currents")
    if currents.shape == (L, 1):
        currents = currents[:, 0]
    if currents.shape != (L,):
        raise ValueError(f"currents must have shape ({L},) or ({L}, 1), got {currents.shape}")
    return currents


def _fingerprint(U, mesh, currents, background, preset, seed):
    """The whole recipe a checkpoint must match (its schedule is checked apart)."""
    recipe = preset.asdict()
    del recipe["iterations"], recipe["lbfgs"]
    return {
        "problem": "cnn_pinn",
        "preset": recipe,
        "U_sha256": data_hash(U),
        "mesh_sha256": data_hash(mesh.nodes, mesh.triangles),
        "currents_sha256": data_hash(currents),
        "background": background,
        "seed": seed,
    }
