"""What a training run is made of: stages, named recipes, and the nondimensional scales."""

import dataclasses
from dataclasses import dataclass, field

from ..validation import check_choice, check_int

OPTIMIZERS = ("adam", "L-BFGS")


@dataclass(frozen=True)
class Stage:
    """One stage of training, compiled for itself.

    Parameters
    ----------
    optimizer : {"adam", "L-BFGS"}
    steps : int
        Adam steps, or L-BFGS iterations (the most the line search may use).
    learning_rate : float, optional
        Adam's learning rate (ignored by L-BFGS).
    weights : dict, optional
        Loss weights by term name that replace the problem's in this stage (e.g.
        ``{"data": 0.0}`` for a stage on the physics alone); the other terms keep theirs.
    variables : bool
        Whether the problem's external trainable variables (``dde.Variable``: a trainable
        source, say) train in this stage; the networks always do.
    rollback : float
        A divergence guard for an Adam stage: 0 (off), or a factor above 1. Where a loss
        evaluated during the stage (every ``display_every`` steps; the sum of the weighted
        terms, on the batch of that step) is not finite or exceeds ``rollback`` times the
        lowest evaluated so far in the stage (its start included), the network and the
        external variables return to their values at that lowest evaluation and the stage
        ends there: the next stage starts from them (:attr:`Trainer.rollbacks` records it).
    """

    optimizer: str = "adam"
    steps: int = 1000
    learning_rate: float = None
    weights: dict = field(default_factory=dict)
    variables: bool = True
    rollback: float = 0.0

    def __post_init__(self):
        check_choice(self.optimizer, "optimizer", OPTIMIZERS)
        check_int(self.steps, "steps", minimum=0)
        if self.optimizer == "adam" and not (self.learning_rate and self.learning_rate > 0):
            raise ValueError(
                f"an Adam stage needs a positive learning_rate, got {self.learning_rate!r}"
            )
        if not (self.rollback == 0 or self.rollback > 1):
            raise ValueError(f"rollback must be 0 (off) or a factor above 1, got {self.rollback!r}")
        if self.rollback and not self.first_order:
            raise ValueError("rollback guards Adam stages only (L-BFGS compares its own losses)")

    @property
    def first_order(self):
        """Adam-like: resampled and checkpointed step by step. L-BFGS runs on fixed points
        (its line search compares losses) and restarts from its beginning on resume."""
        return self.optimizer == "adam"

    def asdict(self):
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Preset:
    """A named training recipe: the fields every PINN problem shares. A problem subclasses it
    with its own fields (network, point counts) and a :meth:`quick` variant.

    ``weights`` maps loss terms to their weights; ``iterations`` Adam steps at
    ``learning_rate`` are followed by ``lbfgs`` L-BFGS iterations; the collocation points are
    redrawn every ``resample_period`` Adam steps; ``rollback`` is every Adam stage's divergence
    guard (:class:`Stage`; 0, off, by default). A tuple (or list, as a sweep SPEC gives it)
    of learning rates is a piecewise constant schedule: the Adam steps split into as many
    equal stages, one per rate, in order (each stage starts a fresh Adam).
    """

    learning_rate: float = 1e-3
    iterations: int = 1000
    lbfgs: int = 0
    weights: dict = field(default_factory=dict)
    resample_period: int = 1
    rollback: float = 0.0

    def stages(self, iterations=None, lbfgs=None):
        """The recipe's schedule: Adam, then L-BFGS if it has any iterations."""
        iterations = self.iterations if iterations is None else iterations
        lbfgs = self.lbfgs if lbfgs is None else lbfgs
        iterations = check_int(iterations, "iterations", minimum=0)
        rates = self.learning_rate
        rates = tuple(rates) if isinstance(rates, tuple | list) else (rates,)
        if not rates:
            raise ValueError("learning_rate is an empty tuple: give one rate or several")
        # the steps in len(rates) stages as equal as they split, the first ones one longer
        share, extra = divmod(iterations, len(rates))
        stages = [
            Stage("adam", share + (i < extra), rate, rollback=self.rollback)
            for i, rate in enumerate(rates)
        ]
        if check_int(lbfgs, "lbfgs", minimum=0):
            stages.append(Stage("L-BFGS", lbfgs))
        return [s for s in stages if s.steps]

    def first_stage(self):
        """One Adam step at the first learning rate: what a factory compiles its model with,
        so that the model it returns is ready to train, as DeepXDE users expect."""
        return self.stages(iterations=1, lbfgs=0)[0]

    def replace(self, **changes):
        """A copy with ``changes`` (unknown fields are refused by name)."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            known = ", ".join(f.name for f in dataclasses.fields(self))
            raise TypeError(
                f"{type(self).__name__} has no field {sorted(unknown)}; fields: {known}"
            )
        return dataclasses.replace(self, **changes)

    def quick(self):
        """The same recipe at demo / test sizes (a problem defines it)."""
        raise NotImplementedError(f"{type(self).__name__} defines no quick variant")

    def asdict(self):
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Scales:
    """Nondimensionalisation: x̃ = x/length, φ̃ = φ/potential, σ̃ = σ/sigma, t̃ = t/time.

    Every problem divides its inputs and outputs by these so that its loss terms start near
    O(1); public methods convert back to SI units.
    """

    length: float  # m
    potential: float  # V
    sigma: float = 1.0  # S/m
    time: float = 1.0  # s

    @property
    def current_density(self):
        """A/m³ per unit Ĩ: I = Ĩ σ Φ / L², from ∇·(σ∇φ) = −I."""
        return self.sigma * self.potential / self.length**2

    @property
    def moment(self):
        """A·m per unit p̃: p = p̃ σ L² Φ, the first moment ∫ x I dV of the current density."""
        return self.sigma * self.length**2 * self.potential
