"""ED-PINN (Sahoo & Rout 2025) as a DeepXDE problem: φ̂(x) in a layered head from scalp EEG.

The factory :func:`ed_pinn` (:mod:`.problem`) builds, in the order of a DeepXDE script: a
nondimensional sphere geometry, ``pde(x, y)`` = ∇·(σ∇φ) + I (eq. 1), a zero-flux Neumann
condition at the scalp (eq. 2, loss eq. 7), an observation term at the electrodes (the data
loss), interface conditions, collocation points from one seeded stream, a SIREN network
(eq. 3), and a :class:`~pinn_inverse.training.Trainer`, and returns an :class:`EDPINN` that
exposes the ``dde.data``, the network, the ``dde.Model`` and the trainer.

- :mod:`.physics`: the residuals and output transforms as pure functions of (x, y);
- :mod:`.modes`: one object per source mode (``known``, ``free``, ``dipole``);
- :mod:`.presets`: the paper's recipe and the library's default.

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
of σ∂ᵣφ imposed at points drawn on each interface. ``hard-shells`` (the default): the same
outputs, composed so that the scalp's zero flux and the continuity at every interface but the
brain's hold by construction (:func:`.physics.compose_hard_shells`); the other conditions stay
loss terms. As penalties, the scalp and interface terms compete, and the physics alone solved
the forward problem to 20 % (99 % at the electrodes); constrained, to 0.5 % (2 %), both
measured before the collocation points were truly resampled (the benchmarks page).
"""

from .modes import FreeSource, KnownSource, TrainableDipole
from .presets import FORMULATIONS, PRESETS, Preset
from .problem import EDPINN, MODES, centred_moment, ed_pinn, moment_unit

__all__ = [
    "EDPINN",
    "FORMULATIONS",
    "MODES",
    "PRESETS",
    "FreeSource",
    "KnownSource",
    "Preset",
    "TrainableDipole",
    "centred_moment",
    "ed_pinn",
    "moment_unit",
]
