"""ED-PINN's source modes, one small object each: what the source is in the PDE, the primary
potential the networks' outputs carry, the trainable variables, the data term, and how the
mode adapts a training stage.

- :class:`FreeSource` (``free``, the paper's inverse problem): I = 0 in the PDE, and the
  brain's residual is the estimate I_est = −∇·(σ∇φ̂), weighted by the preset's ``source``;
- :class:`KnownSource` (``known``): a given smoothed dipole (a data-guided forward solve);
- :class:`TrainableDipole` (``dipole``): a smoothed dipole whose position and moment are
  DeepXDE variables, fitted to the data while the networks solve its forward problem.

All quantities are nondimensional (:class:`~pinn_inverse.training.Scales`).
"""

import dataclasses

import deepxde as dde
import numpy as np

from ... import backend
from ..sources import dipole_density, dipole_potential


class SourceMode:
    """What every mode has; a mode overrides what its source changes."""

    name = None
    brain_weight = "pde"  # the preset weight of the brain's PDE residual
    variables = ()

    def density(self, x):
        """Ĩ, the source term of eq. (1)."""
        return 0.0

    def primary(self, x, live=False):
        """The primary potential the outputs carry (None: the networks carry everything)."""
        return None

    def centre(self):
        """Centre around which collocation points are concentrated (None: no source)."""
        return None

    def data_condition(self, points, values, component):
        """The data term: the scalp output at the electrodes against the measurements."""
        return dde.icbc.PointSetBC(points, values, component=component)

    def stage_rule(self, stage):
        """How the mode adapts a training stage (unchanged by default)."""
        return stage


class FreeSource(SourceMode):
    """``free``: no source in the PDE; the data are explained by the networks alone, and the
    brain's residual, the source estimate, is weighted by the preset's ``source``."""

    name = "free"
    brain_weight = "source"


class KnownSource(SourceMode):
    """``known``: the source term Ĩ of eq. (1) is a given smoothed dipole.

    Parameters
    ----------
    position, moment : array_like
        Nondimensional centre and moment.
    width : float
        Nondimensional smoothing width.
    sigma0 : float
        Nondimensional conductivity of the brain (the primary potential's medium).
    """

    name = "known"

    def __init__(self, position, moment, width, sigma0):
        self.position, self.moment = np.asarray(position), np.asarray(moment)
        self.width, self.sigma0 = width, sigma0

    def dipole(self, live=False):
        """Centre and moment (constants; see :meth:`TrainableDipole.dipole`)."""
        return self.position, self.moment

    def density(self, x):
        """Ĩ, the smoothed dipole's current density (the source of eq. 1)."""
        return dipole_density(x, *self.dipole(), self.width)

    def primary(self, x, live=False):
        """φ̃₀/σ̃₀: the dipole's potential in an unbounded brain (σ̃₀ Δφ̃₀ = −Ĩ)."""
        return dipole_potential(x, *self.dipole(live), self.width) / self.sigma0

    def centre(self):
        return np.asarray(self.position, dtype=float)


class TrainableDipole(KnownSource):
    """``dipole``: Ĩ is a smoothed dipole with trainable position and moment.

    The position starts at the centre; the moment, in units of ``moment_unit``
    (:func:`~pinn_inverse.eeg.ed_pinn.moment_unit`), at the best centred dipole's
    (:func:`~pinn_inverse.eeg.ed_pinn.centred_moment`).
    """

    name = "dipole"

    def __init__(self, width, sigma0, moment_unit, start_moment):
        super().__init__(np.zeros(3), np.zeros(3), width, sigma0)
        self.moment_unit = moment_unit
        self.variables = [dde.Variable(0.0) for _ in range(3)] + [
            dde.Variable(float(v)) for v in start_moment
        ]

    def dipole(self, live=False):
        """Centre and moment as expressions of the variables, rebuilt at every call so that
        they follow training, and constants of differentiation unless ``live``: only the data
        term moves the dipole (see :meth:`electrode_potential`)."""
        values = self.variables if live else [backend.stop_gradient(v) for v in self.variables]
        return values[:3], [self.moment_unit * v for v in values[3:]]

    def values(self):
        """Current nondimensional position, then moment in units of ``moment_unit``."""
        return backend.variable_values(self.variables)

    def centre(self):
        # a trainable centre may wander out of the brain: the caller draws around its
        # projection inside
        return self.values()[:3]

    def electrode_potential(self, x, y, _):
        """The potential the data term compares with the measurements.

        Its value is the scalp output's, but its gradient reaches the dipole only: the
        networks are trained by the physics terms alone, in which the dipole is a constant,
        so they solve the forward problem of the current dipole, and the dipole fits the
        data. Trained jointly on every term, the networks can explain part of the data with
        interface and boundary residuals instead of moving the dipole, and the physics terms
        pull the moment towards zero. With the split, the fitted dipole is the one whose
        forward solution by the networks fits the data, so its error is the forward solve's.
        The gradient is that of the primary potential at the electrodes, which every
        formulation adds to the scalp output.
        """
        outer = y[:, -1:]
        live = self.primary(x, live=True)
        return backend.stop_gradient(outer - live) + live

    def data_condition(self, points, values, component):
        return ReferencedData(points, values, self.electrode_potential)

    def stage_rule(self, stage):
        """L-BFGS trains the networks on the physics alone, for the dipole Adam has fitted:
        the data term's gradient is not the gradient of its value (:meth:`electrode_potential`),
        which the line search assumes (measured before the points were truly resampled: on
        every term, L-BFGS stopped early or moved the dipole by up to 1 mm, either way)."""
        if stage.optimizer != "L-BFGS":
            return stage
        return dataclasses.replace(stage, weights={**stage.weights, "data": 0.0}, variables=False)


class ReferencedData(dde.icbc.PointSetOperatorBC):
    """The data term of ``dipole`` mode, average-referenced: (predicted − its mean over the
    electrodes) − (measured − its mean).

    The networks there are trained by the physics terms only, and a Neumann problem fixes the
    potential up to a constant; without the reference, the offset between the networks'
    constant and the data's reference is a misfit that no dipole can remove (measured before
    the points were truly resampled: the data misfit stayed at 25 % of the data range and
    the dipole wandered).
    """

    def error(self, X, inputs, outputs, beg, end, aux_var=None):
        # func on the electrode rows only (it is pointwise): DeepXDE's PointSetOperatorBC
        # evaluates it on every collocation point and then keeps these rows
        misfit = self.func(inputs[beg:end], outputs[beg:end], X[beg:end]) - self.values
        return misfit - backend.reduce_mean(misfit)
