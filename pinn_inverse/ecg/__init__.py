"""ECG: heart-surface potentials from body-surface potentials (EAND-ARN, Zhu, Bilchick & Xie).

The modules are the stages of the data flow:

- :mod:`~pinn_inverse.ecg.geometry` -- heart and torso surfaces: readers, checks, default;
- :mod:`~pinn_inverse.ecg.bem` -- the heart-to-torso transfer matrix ``R``;
- :mod:`~pinn_inverse.ecg.aliev_panfilov` -- the simulated heart-surface truth ``u, v``;
"""

from .aliev_panfilov import Simulation, aliev_panfilov, planar_wave_speed
from .bem import transfer_matrix
from .geometry import (
    Geometry,
    Surface,
    cap_holes,
    check_nested,
    check_surface,
    load_default_geometry,
    read_pts_fac,
    read_surface,
    read_tri,
)

__all__ = [
    "Geometry",
    "Simulation",
    "Surface",
    "aliev_panfilov",
    "cap_holes",
    "check_nested",
    "check_surface",
    "load_default_geometry",
    "planar_wave_speed",
    "read_pts_fac",
    "read_surface",
    "read_tri",
    "transfer_matrix",
]
