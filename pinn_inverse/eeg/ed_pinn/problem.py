"""The ED-PINN factory: geometry → pde → conditions → data → net → model, as a DeepXDE script."""

import deepxde as dde
import numpy as np

from ...nets import SIREN
from ...sampling import Resampler
from ...training import Problem, Scales, Trainer, data_hash
from ...validation import as_array, check_choice, check_int
from ..electrodes import check_on_scalp
from ..head import ThreeShellHead
from ..sources import Dipole
from ..sphere_series import leadfield
from .modes import FreeSource, KnownSource, TrainableDipole
from .physics import add_primary, compose_hard_shells, laplacian_terms, neumann_map, radial_flux
from .presets import FORMULATIONS, PRESETS, Preset

MODES = ("known", "free", "dipole")


class EDPINN(Problem):
    """An ED-PINN problem: DeepXDE data, network and model, its trainer, and SI-unit results.

    Build it with :func:`ed_pinn`. ``data``, ``net`` and ``model`` are the DeepXDE objects and
    ``trainer`` the :class:`~pinn_inverse.training.Trainer` that runs them, so a DeepXDE user
    can add callbacks, compile another stage (:meth:`compile`) or call ``model.train``
    directly.
    """

    def __init__(self, head, electrodes, measurements, mode, source_mode, preset, scales, seed,
                 pde, laplacian_terms, trainer):  # fmt: skip
        self.head, self.electrodes, self.measurements = head, electrodes, measurements
        self.mode, self.source_mode, self.preset = mode, source_mode, preset
        self.scales, self.seed = scales, seed
        # the unit of the trainable moment (dipole mode; None otherwise)
        self.moment_unit = getattr(source_mode, "moment_unit", None)
        self.pde, self.laplacian_terms = pde, laplacian_terms  # (x, y) → nondimensional terms
        self.trainer, self.model, self.data = trainer, trainer.model, trainer.data
        self.net = self.model.net
        self.radii = np.asarray(head.radii) / scales.length  # nondimensional
        self.loss_names = self.trainer.loss_names
        self.loss_weights = [self.trainer.loss_weights[name] for name in self.loss_names]
        self.variables = self.trainer.variables

    def compile(self, stage):
        """Compile ``model`` for a :class:`~pinn_inverse.training.Stage` with this problem's
        rules (``dipole`` mode keeps L-BFGS off its data term); then ``model.train``."""
        return self.trainer.compile(stage)

    # --- results in SI units ----------------------------------------------------------------

    def predict(self, points):
        """Potential φ̂ (V) at points (N, 3) (m), with the network's own reference."""
        points = as_array(points, "points", shape=(None, 3))
        y = self.model.predict(points / self.scales.length)
        if y.shape[1] == 1:
            return y[:, 0] * self.scales.potential
        shell = np.minimum(self.head.shell_index(points), self.head.n_shells - 1)
        return y[np.arange(len(points)), shell] * self.scales.potential

    def source_estimate(self, points):
        """I_est = −∇·(σ∇φ̂) (A/m³) at points (N, 3) (m), the paper's a-posteriori source."""
        points = as_array(points, "points", shape=(None, 3))
        lap = self.model.predict(points / self.scales.length, operator=self.laplacian_terms)
        return -np.asarray(lap).reshape(-1) * self.scales.current_density

    def fitted_dipole(self):
        """Position (m) and moment (A·m) of the trainable dipole (``dipole`` mode)."""
        if self.mode != "dipole":
            raise ValueError(f"fitted_dipole needs mode='dipole', this problem is {self.mode!r}")
        values = self.source_mode.values()
        return values[:3] * self.scales.length, values[3:] * self.moment_unit * self.scales.moment


def moment_unit(gain, scales):
    """The unit of the trainable moment in ``dipole`` mode (nondimensional): the moment of a
    dipole at the head's centre whose scalp potentials span the data's range Φ, for the
    orientation that spans the most. ``gain`` (M, 3) is the series lead field of the head at
    its centre (V/(A·m), :func:`~pinn_inverse.eeg.sphere_series.leadfield`).

    Adam moves every variable by about its learning rate per step, whatever the gradient. In
    units of σ₀R²Φ the true moment is several units (the skull attenuates the scalp potential:
    4.5 for the default dipole), so a raw moment started small needs thousands of steps at
    lr 10⁻³ to reach it (measured: 10⁻³ per step, still 2.5–4× too small after the default
    budget, the position 5 mm off, before the collocation points were truly resampled); in
    this unit it is O(1) for any data.
    """
    return scales.potential / np.ptp(gain, axis=0).max() / scales.moment


def centred_moment(gain, measurements, scales):
    """The start of the trainable moment in ``dipole`` mode (nondimensional): the moment of
    the dipole at the head's centre that best fits the average-referenced data (linear least
    squares on ``gain``, the series lead field at the centre with zero-mean columns, as for
    :func:`moment_unit`; the classical dipole fit's start).

    Adam moves a variable by about its learning rate per step: started at a tenth of the
    unit, the moment took the whole budget to grow and the position moved outwards to make
    up for it (measured before the points were truly resampled: at the truth's 0.7 after 800
    steps, the position 2.5 mm off). The
    position still starts at the centre and is found by the ED-PINN alone.
    """
    moment = np.linalg.lstsq(gain, measurements - measurements.mean(), rcond=None)[0]
    return moment / scales.moment


def ed_pinn(
    head=None,
    electrodes=None,
    measurements=None,
    source=None,
    mode="free",
    preset="default",
    seed=0,
):
    """Build the ED-PINN problem.

    Parameters
    ----------
    head : ThreeShellHead
        Shell radii (m) and conductivities (S/m). Default: the paper's.
    electrodes : array_like, shape (M, 3)
        Electrode positions on the scalp (m).
    measurements : array_like, shape (M,)
        Potentials at the electrodes (V), e.g. ``simulate(...).measurements``.
    source : Dipole, optional
        Required in ``known`` mode; in ``dipole`` mode its ``width`` (m) sets the width of the
        trainable dipole (default 4 mm); ignored in ``free`` mode.
    mode : {"known", "free", "dipole"}
    preset : {"default", "paper"} or Preset
    seed : int
        Seed of the network's initial weights and of every collocation point.
    """
    head, preset, electrodes, measurements = _check(
        head, electrodes, measurements, source, mode, preset
    )
    seed = check_int(seed, "seed", minimum=0)
    dde.config.set_random_seed(seed)
    scales = Scales(length=head.radius, potential=float(np.ptp(measurements)), sigma=head.sigmas[0])
    radii, sigmas = np.asarray(head.radii) / scales.length, np.asarray(head.sigmas) / scales.sigma
    source_mode = _source_mode(mode, source, head, electrodes, measurements, scales)
    shells, hard = preset.formulation != "single", preset.formulation == "hard-shells"
    outer = head.n_shells - 1 if shells else 0

    geom = dde.geometry.Sphere([0.0, 0.0, 0.0], 1.0)

    def laplacian(x, y):
        return laplacian_terms(x, y, head.shell_masks(x, scales.length), sigmas)

    def pde(x, y):
        # eq. (1), nondimensional, as two terms: the brain's residual and the outer shells'.
        # Apart they carry the prior that sources live in the brain: in free mode the brain's
        # residual *is* the source estimate, weighted by the preset's `source`
        residual = laplacian(x, y) + source_mode.density(x)
        brain = head.shell_masks(x, scales.length)[0]
        return [brain * residual, (1.0 - brain) * residual]

    # collocation: every point from one seeded stream, redrawn every `resample_period` steps
    resampler = Resampler(preset.resample_period, seed)
    names, bcs = ["pde_brain", "pde_outer"], []
    if not hard:  # eq. (2)/(7): zero normal derivative at the scalp (exact in hard-shells)
        names.append("bc")
        bcs.append(dde.icbc.NeumannBC(geom, lambda x: 0.0, lambda x, on: on, component=outer))
    names.append("data")
    values = (measurements / scales.potential)[:, None]
    bcs.append(source_mode.data_condition(electrodes / scales.length, values, outer))
    interfaces = []  # (radius, its conditions): continuity of φ and of σ∂φ/∂r, on shared points
    for k in range(head.n_shells - 1 if shells else 0):
        points = _sphere_points(resampler.rng, preset.num_interface, radii[k])
        zero, conditions = np.zeros((len(points), 1)), []
        if k == 0 or not hard:
            names.append(f"continuity{k}")
            conditions.append(
                dde.icbc.PointSetOperatorBC(
                    points, zero, lambda x, y, _, k=k: y[:, k : k + 1] - y[:, k + 1 : k + 2]
                )
            )
        names.append(f"flux{k}")
        conditions.append(
            dde.icbc.PointSetOperatorBC(
                points,
                zero,
                lambda x, y, _, k=k: (
                    radial_flux(x, y, k, sigmas[k]) - radial_flux(x, y, k + 1, sigmas[k + 1])
                ),
            )
        )
        interfaces.append((radii[k], conditions))
        bcs += conditions

    def source_points(rng):
        """``num_source`` points around the source's centre, normal with a standard
        deviation of two source widths, kept inside the brain: a uniform sample puts about one
        point in 1000 within a source width of it, where the source and the networks'
        correction of it live."""
        centre = source_mode.centre()
        if centre is None or not preset.num_source:
            return None
        # a trainable centre may wander out of the brain: draw around its projection inside
        centre = centre * min(1.0, 0.9 * radii[0] / max(np.linalg.norm(centre), 1e-9))
        drawn = np.empty((0, 3))
        while len(drawn) < preset.num_source:
            points = centre + 2 * source_mode.width * rng.standard_normal((512, 3))
            drawn = np.vstack([drawn, points[np.linalg.norm(points, axis=1) < radii[0]]])
        return drawn[: preset.num_source].astype(dde.config.real(np))

    def refresh(rng, data):
        for radius, conditions in interfaces:
            points = _sphere_points(rng, preset.num_interface, radius)
            for condition in conditions:
                condition.points = points
        data.anchors = source_points(rng)

    resampler.refresh = refresh
    with resampler.stream():
        data = dde.data.PDE(
            geom,
            pde,
            bcs,
            num_domain=preset.num_domain,
            num_boundary=preset.num_boundary,
            anchors=source_points(resampler.rng),
            train_distribution="pseudo",
        )

    def potentials(x, y):
        """The shells' potentials from the network's outputs (a DeepXDE output transform)."""
        if hard:
            primaries = () if mode == "free" else (primary(x), primary(neumann_map(x)))
            return compose_hard_shells(x, y, radii, *primaries)
        return add_primary(y, primary(x))

    primary = source_mode.primary
    net = SIREN([3, *preset.hidden, head.n_shells if shells else 1], preset.omega0, seed=seed)
    if hard:
        net.apply_feature_transform(neumann_map)
    if hard or mode != "free":
        net.apply_output_transform(potentials)
    model = dde.Model(data, net)

    kinds = {"pde_brain": source_mode.brain_weight, "pde_outer": "pde"}
    weights = [preset.weights[kinds.get(n, n.rstrip("0123456789"))] for n in names]
    trainer = Trainer(
        model,
        names,
        weights,
        variables=source_mode.variables,
        resampler=resampler,
        fingerprint=_fingerprint(head, electrodes, measurements, source, mode, preset, seed),
        stage_rule=source_mode.stage_rule,
        name="ED-PINN",
    )
    trainer.compile(preset.first_stage())  # compiled, as DeepXDE users expect
    return EDPINN(
        head=head,
        electrodes=electrodes,
        measurements=measurements,
        mode=mode,
        source_mode=source_mode,
        preset=preset,
        scales=scales,
        seed=seed,
        pde=pde,
        laplacian_terms=laplacian,
        trainer=trainer,
    )


def _sphere_points(rng, n, radius):
    """``n`` points drawn uniformly on the sphere of ``radius`` (nondimensional)."""
    points = rng.standard_normal((n, 3))
    points *= radius / np.linalg.norm(points, axis=1, keepdims=True)
    return points.astype(dde.config.real(np))


def _source_mode(mode, source, head, electrodes, measurements, scales):
    """The mode's object (nondimensional)."""
    sigma0 = head.sigmas[0] / scales.sigma
    width = (source.width if source is not None else Dipole().width) / scales.length
    if mode == "free":
        return FreeSource()
    if mode == "known":
        position = np.asarray(source.position) / scales.length
        return KnownSource(position, np.asarray(source.moment) / scales.moment, width, sigma0)
    gain = leadfield(head, electrodes, np.zeros((1, 3)))  # V/(A·m), at the centre
    unit = moment_unit(gain, scales)
    start = centred_moment(gain, measurements, scales) / unit
    return TrainableDipole(width, sigma0, unit, start)


def _fingerprint(head, electrodes, measurements, source, mode, preset, seed):
    """The whole recipe a checkpoint must match (its schedule is checked apart)."""
    recipe = preset.asdict()
    del recipe["iterations"], recipe["lbfgs"]
    return {
        "problem": "ed_pinn",
        "mode": mode,
        "preset": recipe,
        "head": {"radii": head.radii, "sigmas": head.sigmas},
        "source": None
        if source is None or mode == "free"
        else data_hash(source.position, source.moment, [source.width]),
        "electrodes_sha256": data_hash(electrodes),
        "measurements_sha256": data_hash(measurements),
        "seed": seed,
    }


def _check(head, electrodes, measurements, source, mode, preset):
    head = ThreeShellHead() if head is None else head
    check_choice(mode, "mode", MODES)
    if isinstance(preset, str):
        preset = PRESETS[check_choice(preset, "preset", PRESETS)]
    if not isinstance(preset, Preset):
        raise TypeError(f"preset must be a name or an ed_pinn Preset, got {type(preset).__name__}")
    check_choice(preset.formulation, "formulation", FORMULATIONS)
    if preset.formulation != "single" and preset.num_interface < 1:
        raise ValueError(
            f"formulation {preset.formulation!r} needs num_interface >= 1 points per interface"
        )
    if preset.formulation == "hard-shells" and head.n_shells < 2:
        raise ValueError(
            "formulation 'hard-shells' needs a head of at least two shells (in one shell the "
            "brain is the scalp, and the source's primary potential breaks its exact zero "
            "flux); use 'shells' for one shell"
        )
    if electrodes is None or measurements is None:
        raise ValueError("ed_pinn needs electrodes (M, 3) in m and measurements (M,) in V")
    electrodes = check_on_scalp(electrodes, head)
    measurements = as_array(measurements, "measurements", ndim=1)
    if measurements.shape[0] != electrodes.shape[0]:
        raise ValueError(
            f"measurements has {measurements.shape[0]} values but there are "
            f"{electrodes.shape[0]} electrodes; give one potential per electrode"
        )
    if mode == "known" and not isinstance(source, Dipole):
        raise ValueError("mode='known' needs the source as a Dipole (position m, moment A·m)")
    if source is not None:
        source.check_compatible(head)
    if np.ptp(measurements) <= 0:
        raise ValueError("measurements are all equal: there is nothing to fit")
    return head, preset, electrodes, measurements
