"""ECG: heart-surface potentials from body-surface potentials (EAND-ARN, Zhu, Bilchick & Xie).

The modules are the stages of the data flow:

- :mod:`~pinn_inverse.ecg.geometry` -- heart and torso surfaces: readers, checks, default;
- :mod:`~pinn_inverse.ecg.bem` -- the heart-to-torso transfer matrix ``R``;
- :mod:`~pinn_inverse.ecg.fem` -- a P2 finite-element reference for ``R``;
- :mod:`~pinn_inverse.ecg.aliev_panfilov` -- the simulated heart-surface truth ``u, v``;
- :mod:`~pinn_inverse.ecg.data` -- benchmark data sets ``y = R u + ε``, cached and seeded;
- :mod:`~pinn_inverse.ecg.baselines` -- Tikhonov (L-curve, GCV) and STRE reconstructions;
- :mod:`~pinn_inverse.ecg.eand_arn` -- the EAND-ARN and EP-DL networks
  (``from pinn_inverse.ecg.eand_arn import eand_arn, ep_dl``; it imports DeepXDE, which the
  modules above do not need).
"""

from .aliev_panfilov import Simulation, aliev_panfilov, planar_wave_speed
from .baselines import Reconstruction, TikhonovPath, stre, tikhonov
from .bem import transfer_matrix
from .data import NOISE_LEVELS, EcgData, add_noise, benchmark_data
from .fem import VolumeMesh, fem_torso_potentials, volume_mesh
from .geometry import (
    Geometry,
    MeshQualityWarning,
    Surface,
    cap_holes,
    check_nested,
    check_surface,
    load_default_geometry,
    load_ecgsim_geometry,
    read_pts_fac,
    read_surface,
    read_tri,
    refine,
    subdivide,
    triangle_angles,
)

__all__ = [
    "NOISE_LEVELS",
    "EcgData",
    "Geometry",
    "Reconstruction",
    "Simulation",
    "Surface",
    "TikhonovPath",
    "add_noise",
    "aliev_panfilov",
    "benchmark_data",
    "cap_holes",
    "check_nested",
    "check_surface",
    "load_default_geometry",
    "planar_wave_speed",
    "read_pts_fac",
    "read_surface",
    "read_tri",
    "stre",
    "tikhonov",
    "transfer_matrix",
    "MeshQualityWarning",
    "load_ecgsim_geometry",
    "subdivide",
    "triangle_angles",
    "VolumeMesh",
    "fem_torso_potentials",
    "volume_mesh",
    "refine",
]
