"""EIT: the forward model, data and classical baselines of the two-stage CNN + PINN paper.

The modules are the stages of the data flow: :mod:`~pinn_inverse.eit.mesh` (disk meshes with
electrodes) → :mod:`~pinn_inverse.eit.fem` (complete electrode model and Jacobian) with
:mod:`~pinn_inverse.eit.patterns` (currents and measurements) → :mod:`~pinn_inverse.eit.image`
(potential images) → :mod:`~pinn_inverse.eit.phantoms` and :mod:`~pinn_inverse.eit.dataset`
(training data) → :mod:`~pinn_inverse.eit.baselines` (NOSER, TV); :mod:`~pinn_inverse.eit.ktc`
reads the KTC2023 tank measurements.
"""

from .baselines import Reconstructor, noser_step, tv_pdipm
from .dataset import EITDataset, add_noise, make_dataset
from .fem import ForwardModel, Solution, stiffness_matrix
from .image import ImageGrid
from .mesh import EITMesh, disk_mesh, make_mesh
from .patterns import (
    adjacent_differences,
    adjacent_injection,
    electrode_voltages,
    trigonometric_pattern,
    trigonometric_set,
)
from .phantoms import KINDS, Circle, Phantom, Triangle, random_phantom

__all__ = [
    "KINDS",
    "Circle",
    "EITDataset",
    "EITMesh",
    "ForwardModel",
    "ImageGrid",
    "Phantom",
    "Reconstructor",
    "Solution",
    "Triangle",
    "add_noise",
    "adjacent_differences",
    "adjacent_injection",
    "disk_mesh",
    "electrode_voltages",
    "make_dataset",
    "make_mesh",
    "noser_step",
    "random_phantom",
    "stiffness_matrix",
    "trigonometric_pattern",
    "trigonometric_set",
    "tv_pdipm",
]
