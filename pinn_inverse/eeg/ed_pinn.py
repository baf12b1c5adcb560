"""ED-PINN (Sahoo & Rout 2025) as a DeepXDE problem: φ̂(x) in a layered head from scalp EEG.

The factory :func:`ed_pinn` builds, in the order of a DeepXDE script: a nondimensional sphere
geometry, ``pde(x, y)`` = ∇·(σ∇φ) + I (eq. 1), a zero-flux Neumann condition at the scalp
(eq. 2, loss eq. 7), an observation term at the electrodes (the data loss), a SIREN network
(eq. 3), loss weights and callbacks, and returns an :class:`EDPINN` that exposes the
``dde.data``, the network and the ``dde.Model``.

Scaling (the paper trains in SI units and its PDE loss is 10²⁰): lengths are divided by the
scalp radius R, potentials by the data scale Φ (the range of the measurements) and
conductivities by the brain's σ₀, so Ĩ = I R²/(σ₀ Φ). The data, boundary and interface losses
then start near O(1); the PDE residual of a focal source does not (Ĩ of the default 4 mm
dipole peaks near 4×10³), which is why the primary potential is subtracted in the modes that
know the source, and why free mode's source weight matters.

Formulations
------------
``single`` (the paper's): one smooth network for the whole head. Its gradient cannot jump at
the interfaces, so the flux condition σ₁∂ᵣφ₁ = σ₂∂ᵣφ₂ (a 25× jump at brain/skull) is never
satisfied. ``shells``: one output per shell (φ_k used inside shell k), with continuity of φ and
of σ∂ᵣφ imposed at points on each interface. ``hard-shells`` (the default): the same outputs,
composed so that the scalp's zero flux and the continuity at every interface but the brain's
hold by construction (:meth:`EDPINN._compose`); the other conditions stay loss terms. As
penalties, the scalp and interface terms compete, and the physics alone solved the forward
problem to 20 % (99 % at the electrodes); constrained, to 0.5 % (2 %).

Source modes
------------
``known``: I is given (a data-guided forward solve). ``free``: I = 0 in the PDE and
I_est = −∇·(σ∇φ̂) a posteriori (the paper's inverse problem). ``dipole``: I is a smoothed
dipole whose position and moment are trainable DeepXDE variables.
"""

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import deepxde as dde
import numpy as np

from .. import backend
from ..io import write_json
from ..validation import as_array, check_choice, check_int
from .baselines import leadfield
from .electrodes import check_on_scalp, fibonacci_electrodes
from .head import ThreeShellHead
from .sources import Dipole, dipole_density, dipole_potential

MODES = ("known", "free", "dipole")
FORMULATIONS = ("single", "shells", "hard-shells")


@dataclass(frozen=True)
class Preset:
    """A training recipe. ``omega0`` is per unit of the nondimensional radius; ``eval_grid`` is
    the number of cells per axis of the grid on which the potential is scored.

    ``weights`` maps loss terms to their weights: ``pde`` (the PDE residual), ``source`` (the
    PDE residual in the brain in ``free`` mode, where it is the source estimate and is only
    kept small, not zero), ``bc`` (zero flux at the scalp), ``data`` (the electrodes) and,
    with ``shells``, ``continuity`` and ``flux`` at the interfaces.
    """

    hidden: tuple = (128, 128, 128, 128)
    omega0: float = 1.5
    learning_rate: float = 1e-4
    iterations: int = 1200
    weights: dict = field(
        default_factory=lambda: {"pde": 200.0, "source": 200.0, "bc": 50.0, "data": 1.0}
    )
    num_domain: int = 3000
    num_boundary: int = 800
    num_interface: int = 0
    num_source: int = 0
    formulation: str = "single"
    lbfgs: int = 0
    eval_grid: int = 32


PRESETS = {
    # The paper's recipe (Sec. 5.4, App. A/C): SIREN 3 → 4×128 → 1, ω₀ = 30 on inputs in
    # metres, i.e. 30 × 0.05 = 1.5 per head radius; Adam 1e-4, 1200 epochs, λ_pde = 200,
    # λ_bc = 50; 3000 domain / 800 boundary points resampled every step; one network; scored
    # on a 32³ grid.
    "paper": Preset(),
    # The library's default: one output per shell, composed so that the scalp's zero flux and
    # the continuity at every interface but the brain's hold exactly ("hard-shells"), a larger
    # learning rate, weights on O(1) losses (the scaling makes them so), collocation points
    # concentrated around the source where the mode has one, and a short L-BFGS polish.
    # In free mode the brain's residual is the source estimate: weighted 10⁻⁴ of the other
    # terms, the data are explained by a source in the brain rather than by violated interface
    # conditions (seed 0, hard-shells: 9.2 / 7.0 / 5.2 mm at source weights 1 / 10⁻³ / 10⁻⁴;
    # 17.7 / 13.0 / 9.7 mm on a held-out source, see the benchmarks page).
    "default": Preset(
        hidden=(64, 64, 64),
        omega0=3.0,
        learning_rate=1e-3,
        iterations=800,
        weights={
            "pde": 1.0,
            "source": 1e-4,
            "bc": 1.0,
            "data": 10.0,
            "continuity": 10.0,
            "flux": 1.0,
        },
        num_domain=3000,
        num_boundary=800,
        num_interface=400,
        num_source=500,
        formulation="hard-shells",
        lbfgs=200,
        eval_grid=64,
    ),
}


@dataclass(frozen=True)
class Scales:
    """Nondimensionalisation: x̃ = x/length, φ̃ = φ/potential, σ̃ = σ/sigma."""

    length: float  # m
    potential: float  # V
    sigma: float  # S/m

    @property
    def current_density(self):
        """A/m³ per unit Ĩ: I = Ĩ σ Φ / R²."""
        return self.sigma * self.potential / self.length**2

    @property
    def moment(self):
        """A·m per unit p̃: p = p̃ σ R² Φ."""
        return self.sigma * self.length**2 * self.potential


def _radius(x):
    """|x| per row, shape (N, 1), numpy or tensors."""
    return backend.sqrt(x[:, 0:1] ** 2 + x[:, 1:2] ** 2 + x[:, 2:3] ** 2)


def _shell_masks(x, radii):
    """Indicator of each shell at points x (nondimensional radii), numpy or tensors."""
    r = _radius(x)
    inside = [backend.step(radius - r) for radius in radii[:-1]]
    masks, below = [], 0.0
    for step in inside:
        masks.append(step - below)
        below = step
    masks.append(1.0 - below)
    return masks


def _neumann_map(x):
    """ξ = x (3 − |x|²)/2: the network input of ``hard-shells``.

    Radially, |ξ| = g(r) = (3r − r³)/2 with g(1) = 1 and g′(r) = 3(1 − r²)/2 > 0 inside: a
    smooth bijection of the unit ball onto itself, polynomial in x, whose radial derivative
    vanishes at r = 1. Any function of ξ therefore has ∂/∂r = 0 at the scalp: the zero-flux
    condition (eq. 2) holds by construction instead of as a loss term.
    """
    r2 = x[:, 0:1] ** 2 + x[:, 1:2] ** 2 + x[:, 2:3] ** 2
    return x * (3.0 - r2) / 2.0


class _Resampler(dde.callbacks.PDEPointResampler):
    """Every step: DeepXDE's fresh uniform collocation points, plus ``num_source`` points
    drawn around the current source centre (it moves in ``dipole`` mode).

    A uniform sample puts about one point in 1000 within a source width of the centre, so the
    PDE loss barely sees the region where the source and the network's correction of it
    live; there a wrong dipole could be compensated by a network that is not harmonic.
    """

    def __init__(self, problem):
        super().__init__(period=1)
        self.problem = problem

    def on_epoch_end(self):
        self.model.data.anchors = self.problem.anchors()
        super().on_epoch_end()


class _ReferencedData(dde.icbc.PointSetOperatorBC):
    """The data term of ``dipole`` mode, average-referenced: (predicted − its mean over the
    electrodes) − (measured − its mean).

    The networks there are trained by the physics terms only (see
    ``EDPINN._electrode_potential``), and a Neumann problem fixes the potential up to a
    constant; without the reference, the offset between the networks' constant and the
    data's reference is a misfit that no dipole can remove (measured: the data misfit stayed
    at 25 % of the data range and the dipole wandered).
    """

    def error(self, X, inputs, outputs, beg, end, aux_var=None):
        # func on the electrode rows only (it is pointwise): DeepXDE's PointSetOperatorBC
        # evaluates it on every collocation point and then keeps these rows
        misfit = self.func(inputs[beg:end], outputs[beg:end], X[beg:end]) - self.values
        return misfit - dde.backend.reduce_mean(misfit)


class _Progress(dde.callbacks.Callback):
    """A tqdm bar over the training iterations."""

    def __init__(self, total):
        super().__init__()
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, desc="ED-PINN", unit="step", mininterval=1.0)

    def on_epoch_end(self):
        self.bar.update(1)

    def on_train_end(self):
        self.bar.close()


class _Checkpoint(dde.callbacks.Callback):
    """Every ``every`` steps: the network weights (DeepXDE's backend format) and a JSON record
    of the step, the trainable dipole and the backend, each written atomically."""

    def __init__(self, problem, folder, every, done):
        super().__init__()
        self.problem, self.folder, self.every, self.done = problem, Path(folder), every, done

    def on_epoch_end(self):
        step = self.done + self.model.train_state.step
        if step % self.every == 0:
            self.problem.save_checkpoint(self.folder, step)


class EDPINN:
    """An ED-PINN problem: DeepXDE data, network and model, with SI-unit helpers.

    Build it with :func:`ed_pinn`. ``data``, ``net`` and ``model`` are the DeepXDE objects, so a
    DeepXDE user can add callbacks, change the optimiser or call ``model.train`` directly.
    """

    def __init__(self, head, electrodes, measurements, mode, preset, scales, source, seed):
        self.head, self.electrodes, self.measurements = head, electrodes, measurements
        self.mode, self.preset, self.scales, self.source, self.seed = (
            mode,
            preset,
            scales,
            source,
            seed,
        )
        self.radii = np.asarray(head.radii) / scales.length
        self.sigmas = np.asarray(head.sigmas) / scales.sigma
        self.shells = preset.formulation != "single"
        self.hard = preset.formulation == "hard-shells"
        self.width = (source.width if source is not None else Dipole().width) / scales.length
        self.variables = None
        self._rng = np.random.default_rng(seed)
        if self.shells:
            # fixed points on each interface, for the continuity and flux terms every step
            unit = fibonacci_electrodes(preset.num_interface, 1.0)
            self._interface_points = np.vstack([radius * unit for radius in self.radii[:-1]])
        if mode == "known":
            self.centre = np.asarray(source.position) / scales.length
            self.moment = np.asarray(source.moment) / scales.moment
        elif mode == "dipole":
            # trainable position, started at the centre, and moment, in units of
            # `moment_unit`, started at the best centred dipole's
            gain = leadfield(head, electrodes, np.zeros((1, 3)))  # V/(A·m), at the centre
            self.moment_unit = moment_unit(gain, scales)
            start = centred_moment(gain, measurements, scales) / self.moment_unit
            self.variables = [dde.Variable(0.0) for _ in range(3)] + [
                dde.Variable(float(v)) for v in start
            ]
        self.data = self._build_data()
        from ..nets import SIREN

        n_out = len(self.radii) if self.shells else 1
        self.net = SIREN([3, *preset.hidden, n_out], omega0=preset.omega0, seed=seed)
        if self.hard:
            self.net.apply_feature_transform(_neumann_map)
            self.net.apply_output_transform(self._compose)
        elif mode != "free":
            # the subtraction approach of FEM EEG forward modelling (Wolters et al. 2007):
            # φ̃ = φ̃₀ + network in every shell, with φ̃₀ the smoothed dipole's potential in an
            # unbounded medium of the brain's conductivity; it carries the source's singular
            # part exactly (σ̃₀ Δφ̃₀ = −Ĩ) and is harmonic outside the brain, so the networks
            # learn the smooth secondary field. Added in every shell, φ̃₀ reaches the scalp, so
            # the data loss depends on the dipole directly (in the brain only, the dipole would
            # feel the data only through the networks' interface terms, which they zero first).
            self.net.apply_output_transform(self._add_primary)
        self.model = dde.Model(self.data, self.net)
        weights = preset.weights
        kinds = {"pde_brain": "source" if mode == "free" else "pde", "pde_outer": "pde"}
        self.loss_weights = [
            weights[kinds.get(name, name.rstrip("0123456789"))] for name in self.loss_names
        ]
        self.model.compile(
            "adam",
            lr=preset.learning_rate,
            loss_weights=self.loss_weights,
            external_trainable_variables=self.variables,
        )

    # --- physics, in nondimensional units ---------------------------------------------------

    def _laplacian_terms(self, x, y):
        """σ̃ Δφ̃ with the conductivity of the shell containing each point.

        σ̃ and the shell masks are constant inside each shell, so Δ(Σₖ mₖ σ̃ₖ φ̃ₖ) equals
        Σₖ mₖ σ̃ₖ Δφ̃ₖ almost everywhere: one Laplacian instead of one per shell.
        """
        masks = _shell_masks(x, self.radii)
        if self.shells:
            pairs = enumerate(zip(masks, self.sigmas, strict=True))
            z = sum(m * s * y[:, k : k + 1] for k, (m, s) in pairs)
        else:
            z = sum(m * s for m, s in zip(masks, self.sigmas, strict=True)) * y
        return sum(dde.grad.hessian(z, x, i=d, j=d) for d in range(3))

    def _dipole(self, live=False):
        """Centre and moment of the source (nondimensional).

        In ``dipole`` mode they are expressions of the trainable variables, rebuilt at every
        call so that they follow training, and constants of differentiation unless ``live``:
        only the data term moves the dipole (see :meth:`_electrode_potential`).
        """
        if self.mode != "dipole":
            return self.centre, self.moment
        values = self.variables if live else [backend.stop_gradient(v) for v in self.variables]
        return values[:3], [self.moment_unit * v for v in values[3:]]

    def _electrode_potential(self, x, y):
        """The potential the data term compares with the measurements (``dipole`` mode).

        Its value is the scalp network's output, but its gradient reaches the dipole only:
        the networks are trained by the physics terms alone, in which the dipole is a
        constant, so they solve the forward problem of the current dipole, and the dipole
        fits the data. Trained jointly on every term, the networks can explain part of the
        data with interface and boundary residuals instead of moving the dipole, and the
        physics terms pull the moment towards zero. With the split, the fitted dipole is the
        one whose forward solution by the networks fits the data, so its error is the
        forward solve's error: 5 mm with ``shells``, whose penalties leave the scalp 60–100 %
        off; 1–3 mm with ``hard-shells`` (the benchmarks page). The gradient is that of the
        primary potential at the electrodes, which both formulations add to the scalp output.
        """
        outer = y[:, -1:]
        live = dipole_potential(x, *self._dipole(live=True), self.width) / self.sigmas[0]
        return backend.stop_gradient(outer - live) + live

    def _source(self, x):
        if self.mode == "free":
            return 0.0
        return dipole_density(x, *self._dipole(), self.width)

    def _add_primary(self, x, y):
        primary = dipole_potential(x, *self._dipole(), self.width) / self.sigmas[0]
        # column by column, not a broadcast (N, 3) + (N, 1): TensorFlow's graph optimiser
        # apparently fuses the broadcast add into the last layer's BiasAdd and fails in the L-BFGS
        # stage ("Must provide as many biases as the last dimension", known mode, shells)
        return backend.concat([y[:, k : k + 1] + primary for k in range(y.shape[1])], axis=1)

    def _compose(self, x, y):
        """The ``hard-shells`` potentials from the network's outputs N_k(ξ), ξ = ξ(x):

            φ̃_scalp = N_last + φ̃₀(ξ)/σ̃₀,
            φ̃_k     = φ̃_{k+1} + (r − R_k)/(R_k − R_{k−1}) N_k     (skull, any middle shell),
            φ̃_brain = N_0 + φ̃₀(x)/σ̃₀.

        Every term of φ̃_scalp is a function of ξ (:func:`_neumann_map`), so ∂φ̃/∂r = 0 at the
        scalp (eq. 2) exactly, and each middle shell equals its outer neighbour on their
        interface; the continuity at the brain's surface and every flux condition stay loss
        terms. The primary potential φ̃₀ carries the source's singular part in the brain (as in
        ``shells``); in the scalp its composition with ξ keeps the Neumann condition exact
        and lets the data term see the dipole directly (see :meth:`_electrode_potential`).
        Without it there (tried), the dipole feels the data only through the networks' lagging
        forward solution and drove itself to the brain's surface.
        """
        r = _radius(x)
        last = y.shape[1] - 1
        brain, outer = y[:, 0:1], y[:, last:]
        if self.mode != "free":
            dipole = self._dipole()
            brain = brain + dipole_potential(x, *dipole, self.width) / self.sigmas[0]
            outer = outer + dipole_potential(_neumann_map(x), *dipole, self.width) / self.sigmas[0]
        shells = [outer]
        for k in range(last - 1, 0, -1):
            thickness = self.radii[k] - self.radii[k - 1]
            shells.insert(0, shells[0] + (r - self.radii[k]) / thickness * y[:, k : k + 1])
        return backend.concat([brain, *shells], axis=1)

    def pde(self, x, y):
        """ED-PINN eq. (1), nondimensional: ∇·(σ̃∇φ̃) + Ĩ, as two loss terms: in the brain
        (``pde_brain``) and in skull and scalp (``pde_outer``).

        With equal weights their sum is the paper's PDE loss. Apart, they can carry the prior
        that sources live in the brain: in ``free`` mode the residual *is* the source
        estimate, and a network free to put it anywhere may explain the data with sources just
        under the electrodes; a preset's ``source`` weight (brain) below its ``pde`` weight
        (outer shells) makes that costly.
        """
        residual = self._laplacian_terms(x, y) + self._source(x)
        brain = _shell_masks(x, self.radii)[0]
        return [brain * residual, (1.0 - brain) * residual]

    def _radial_flux(self, x, y, k):
        r = _radius(x)
        grad = sum(x[:, d : d + 1] * dde.grad.jacobian(y, x, i=k, j=d) for d in range(3))
        return self.sigmas[k] * grad / r

    def anchors(self):
        """Collocation points added to the uniform sample (nondimensional): the fixed points
        on the interfaces (``shells``), then ``num_source`` points drawn around the current
        source centre (``known``/``dipole``), normal with a standard deviation of two source
        widths and kept inside the brain."""
        parts = [self._interface_points] if self.shells else []
        if self.mode != "free" and self.preset.num_source:
            centre = self._variable_values()[:3] if self.variables else np.asarray(self.centre)
            # a trainable centre may wander out of the brain: draw around its projection
            centre = centre * min(1.0, 0.9 * self.radii[0] / max(np.linalg.norm(centre), 1e-9))
            drawn = np.empty((0, 3))
            while len(drawn) < self.preset.num_source:
                points = centre + 2 * self.width * self._rng.standard_normal((512, 3))
                drawn = np.vstack([drawn, points[np.linalg.norm(points, axis=1) < self.radii[0]]])
            parts.append(drawn[: self.preset.num_source])
        return np.vstack(parts).astype(dde.config.real(np)) if parts else None

    def _build_data(self):
        p = self.preset
        geom = dde.geometry.Sphere([0.0, 0.0, 0.0], 1.0)
        outer = len(self.radii) - 1 if self.shells else 0
        self.loss_names, bcs = ["pde_brain", "pde_outer"], []
        if not self.hard:
            # eq. (2)/(7): zero normal derivative at the scalp (exact in hard-shells)
            self.loss_names.append("bc")
            bcs.append(dde.icbc.NeumannBC(geom, lambda x: 0.0, lambda x, on: on, component=outer))
        self.loss_names.append("data")
        points = self.electrodes / self.scales.length
        values = (self.measurements / self.scales.potential)[:, None]
        if self.mode == "dipole":
            bcs.append(
                _ReferencedData(points, values, lambda x, y, _: self._electrode_potential(x, y))
            )
        else:
            bcs.append(dde.icbc.PointSetBC(points, values, component=outer))
        if self.shells:
            for k, radius in enumerate(self.radii[:-1]):

                def on_interface(x, _, radius=radius):
                    return np.isclose(np.linalg.norm(x), radius)

                if k == 0 or not self.hard:
                    self.loss_names.append(f"continuity{k}")
                    bcs.append(
                        dde.icbc.OperatorBC(
                            geom,
                            lambda x, y, _, k=k: y[:, k : k + 1] - y[:, k + 1 : k + 2],
                            on_interface,
                        )
                    )
                self.loss_names.append(f"flux{k}")
                bcs.append(
                    dde.icbc.OperatorBC(
                        geom,
                        lambda x, y, _, k=k: (
                            self._radial_flux(x, y, k) - self._radial_flux(x, y, k + 1)
                        ),
                        on_interface,
                    )
                )
        return dde.data.PDE(
            geom,
            self.pde,
            bcs,
            num_domain=p.num_domain,
            num_boundary=p.num_boundary,
            anchors=self.anchors(),
        )

    # --- training -------------------------------------------------------------------------

    def train(
        self,
        iterations=None,
        lbfgs=None,
        checkpoint=None,
        checkpoint_every=250,
        display_every=500,
        progress=True,
        callbacks=(),
    ):
        """Adam with the collocation points resampled every step, then optionally L-BFGS.

        Parameters
        ----------
        iterations : int, optional
            Adam steps in all (default: the preset's).
        lbfgs : int, optional
            L-BFGS iterations on the last collocation points (default: the preset's).
        checkpoint : str or Path, optional
            Folder for checkpoints. If it holds one from an interrupted run of the same
            backend, training resumes from it and runs only the remaining Adam steps.
        checkpoint_every : int
            Adam steps between checkpoints.

        Returns
        -------
        tuple
            DeepXDE's ``(losshistory, train_state)`` of the last stage.
        """
        iterations = check_int(iterations or self.preset.iterations, "iterations", minimum=1)
        lbfgs = self.preset.lbfgs if lbfgs is None else check_int(lbfgs, "lbfgs", minimum=0)
        done = self.restore_checkpoint(checkpoint) if checkpoint else 0
        cbs = [_Resampler(self), *callbacks]
        if checkpoint:
            cbs.append(_Checkpoint(self, checkpoint, checkpoint_every, done))
        if progress:
            cbs.append(_Progress(iterations - done))
        result = None
        start = time.perf_counter()
        if iterations > done:
            result = self.model.train(
                iterations=iterations - done,
                display_every=display_every,
                callbacks=cbs,
                verbose=0,
            )
        self.timings = {
            "adam_steps": iterations - done,
            "adam_s": time.perf_counter() - start,
            "adam_step_s": (time.perf_counter() - start) / max(iterations - done, 1),
        }
        if lbfgs:
            start = time.perf_counter()
            backend.set_lbfgs_iterations(lbfgs)
            weights = self.loss_weights
            if self.mode == "dipole":
                # the physics alone, for the dipole Adam has fitted: the data term's gradient
                # is not the gradient of its value (see _electrode_potential), which L-BFGS's
                # line search assumes (measured: on every term, L-BFGS stopped early or moved
                # the dipole by up to 1 mm, either way)
                names = self.loss_names
                weights = [0.0 if n == "data" else w for n, w in zip(names, weights, strict=True)]
            self.model.compile("L-BFGS", loss_weights=weights)
            result = self.model.train(display_every=display_every, callbacks=callbacks, verbose=0)
            self.timings["lbfgs_s"] = time.perf_counter() - start
        return result

    def save_checkpoint(self, folder, step):
        """Write the weights and ``checkpoint.json`` (step, dipole variables, backend)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        weights = Path(self.model.save(str(folder / "weights")))
        record = {
            "step": int(step),
            "weights": weights.name,
            "backend": backend.backend_name(),
            "problem": self._fingerprint(),
            "variables": self._variable_values().tolist(),
        }
        write_json(folder / "checkpoint.json", record)
        for old in folder.glob("weights-*"):
            if old.name != weights.name:
                old.unlink()

    def restore_checkpoint(self, folder):
        """Load ``folder``'s checkpoint if there is one; return the step it had reached."""
        record_path = Path(folder) / "checkpoint.json"
        if not record_path.exists():
            return 0
        record = json.loads(record_path.read_text())
        if record["backend"] != backend.backend_name():
            raise ValueError(
                f"checkpoint in {folder} was written by the {record['backend']} backend; "
                f"resume with that backend or use another folder"
            )
        mine = self._fingerprint()
        mismatch = {
            key: (value, mine.get(key))
            for key, value in record.get("problem", {}).items()
            if mine.get(key) != value
        }
        if mismatch:
            described = ", ".join(
                f"{k}={a!r} (this problem: {b!r})" for k, (a, b) in mismatch.items()
            )
            raise ValueError(
                f"checkpoint in {folder} belongs to another problem: {described}; "
                f"use another folder, or the same settings to resume"
            )
        self.model.predict(np.zeros((1, 3)))  # builds the Keras layers before loading
        self.model.restore(str(Path(folder) / record["weights"]))
        for variable, value in zip(self.variables or [], record["variables"], strict=True):
            backend.assign(variable, value)
        return int(record["step"])

    # --- results in SI units ----------------------------------------------------------------

    def _select(self, points, values):
        if not self.shells:
            return values[:, 0]
        shell = np.minimum(self.head.shell_index(points), len(self.radii) - 1)
        return values[np.arange(len(points)), shell]

    def predict(self, points):
        """Potential φ̂ (V) at points (N, 3) (m), with the network's own reference."""
        points = as_array(points, "points", shape=(None, 3))
        y = self.model.predict(points / self.scales.length)
        return self._select(points, y) * self.scales.potential

    def source_estimate(self, points):
        """I_est = −∇·(σ∇φ̂) (A/m³) at points (N, 3) (m), the paper's a-posteriori source."""
        points = as_array(points, "points", shape=(None, 3))
        lap = self.model.predict(points / self.scales.length, operator=self._laplacian_terms)
        return -np.asarray(lap).reshape(-1) * self.scales.current_density

    def fitted_dipole(self):
        """Position (m) and moment (A·m) of the trainable dipole (``dipole`` mode)."""
        if self.mode != "dipole":
            raise ValueError(f"fitted_dipole needs mode='dipole', this problem is {self.mode!r}")
        values = self._variable_values()
        return values[:3] * self.scales.length, values[3:] * self.moment_unit * self.scales.moment

    def _fingerprint(self):
        """What a checkpoint must match to be resumed by this problem (JSON-comparable)."""
        p = self.preset
        return {
            "mode": self.mode,
            "formulation": p.formulation,
            "hidden": list(p.hidden),
            "omega0": p.omega0,
            "seed": self.seed,
            "measurements_sha256": hashlib.sha256(
                np.ascontiguousarray(self.measurements, dtype=np.float64).tobytes()
            ).hexdigest(),
        }

    def _variable_values(self):
        """Current values of the trainable dipole (nondimensional position, then moment)."""
        return np.array([float(dde.backend.to_numpy(v)) for v in self.variables or []])


def moment_unit(gain, scales):
    """The unit of the trainable moment in ``dipole`` mode (nondimensional): the moment of a
    dipole at the head's centre whose scalp potentials span the data's range Φ, for the
    orientation that spans the most. ``gain`` (M, 3) is the series lead field of the head at
    its centre (V/(A·m), :func:`~pinn_inverse.eeg.baselines.leadfield`).

    Adam moves every variable by about its learning rate per step, whatever the gradient. In
    units of σ₀R²Φ the true moment is several units (the skull attenuates the scalp potential:
    4.5 for the default dipole), so a raw moment started small needs thousands of steps at
    lr 10⁻³ to reach it (measured: 10⁻³ per step, still 2.5–4× too small after the default
    budget, the position 5 mm off); in this unit it is O(1) for any data.
    """
    return scales.potential / np.ptp(gain, axis=0).max() / scales.moment


def centred_moment(gain, measurements, scales):
    """The start of the trainable moment in ``dipole`` mode (nondimensional): the moment of
    the dipole at the head's centre that best fits the average-referenced data (linear least
    squares on ``gain``, the series lead field at the centre with zero-mean columns, as for
    :func:`moment_unit`; the classical dipole fit's start).

    Adam moves a variable by about its learning rate per step: started at a tenth of the
    unit, the moment took the whole budget to grow and the position moved outwards to make
    up for it (measured: at the truth's 0.7 after 800 steps, the position 2.5 mm off). The
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
        Seed of the network's initial weights and of the collocation points.
    """
    head = ThreeShellHead() if head is None else head
    check_choice(mode, "mode", MODES)
    if isinstance(preset, str):
        preset = PRESETS[check_choice(preset, "preset", PRESETS)]
    check_choice(preset.formulation, "formulation", FORMULATIONS)
    if preset.formulation == "hard-shells" and head.n_shells < 2:
        raise ValueError(
            "formulation 'hard-shells' needs a head of at least two shells (in one shell the "
            "brain is the scalp, and the source's primary potential breaks its exact zero "
            "flux); use 'shells' for one shell"
        )
    seed = check_int(seed, "seed")
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
    scale = float(np.ptp(measurements))
    if scale <= 0:
        raise ValueError("measurements are all equal: there is nothing to fit")
    dde.config.set_random_seed(seed)
    scales = Scales(length=head.radius, potential=scale, sigma=head.sigmas[0])
    return EDPINN(head, electrodes, measurements, mode, preset, scales, source, seed)
