"""The one training layer every problem uses: stages, checkpoints, progress, reports.

- :class:`Stage`: an optimizer, its steps, learning rate, loss weights and trainable variables;
- :class:`Trainer`: runs a schedule of stages on a ``dde.Model``, each compiled for itself,
  with the collocation points redrawn (:class:`~pinn_inverse.sampling.Resampler`), checkpoints
  that resume to the same result and refuse another recipe's, a progress bar, per-stage
  timings and the loss history;
- :class:`Preset`: the pattern of a named recipe (a problem subclasses it, with ``quick()``);
- :class:`Scales`: the nondimensionalisation that brings every loss term near O(1).
"""

from .checkpoint import data_hash
from .problem import Problem
from .recipe import Preset, Scales, Stage
from .trainer import Trainer

__all__ = ["Preset", "Problem", "Scales", "Stage", "Trainer", "data_hash"]
