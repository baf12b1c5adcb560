"""EEG: the ED-PINN problem (Sahoo & Rout 2025) and its forward model.

Stages: :mod:`~pinn_inverse.eeg.head` (shells and σ) → :mod:`~pinn_inverse.eeg.sources` →
:mod:`~pinn_inverse.eeg.electrodes` → forward solvers (:mod:`~pinn_inverse.eeg.sphere_series`,
exact; :mod:`~pinn_inverse.eeg.grid`, finite differences for any voxel map) →
:mod:`~pinn_inverse.eeg.simulate` (measurements) → classical inverse baselines
(:mod:`~pinn_inverse.eeg.baselines`: dipole fit, sLORETA).
"""

from .baselines import DipoleFit, SLoreta, dipole_fit, sloreta, source_space
from .electrodes import Montage, check_on_scalp, fibonacci_electrodes, read_montage
from .head import ThreeShellHead
from .sources import Dipole, GaussianSource, SourceSinkPair
from .sphere_series import exact_potential, leadfield

__all__ = [
    "Dipole",
    "DipoleFit",
    "SLoreta",
    "GaussianSource",
    "Montage",
    "SourceSinkPair",
    "ThreeShellHead",
    "check_on_scalp",
    "dipole_fit",
    "exact_potential",
    "fibonacci_electrodes",
    "leadfield",
    "read_montage",
    "sloreta",
    "source_space",
]
