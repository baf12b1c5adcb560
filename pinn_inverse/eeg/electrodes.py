"""Scalp electrodes: the paper's Fibonacci layout and standard montage files."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..validation import as_points, check_int, check_positive
from .head import PAPER_RADII

FIDUCIALS = ("Nz", "LPA", "RPA")  # landmarks in MNE montage files, not electrodes
ON_SCALP_RTOL = 1e-3  # how far (relative) an electrode may sit off the scalp sphere


@dataclass(frozen=True)
class Montage:
    """Named electrode positions (m)."""

    names: tuple
    positions: np.ndarray

    def __len__(self):
        return len(self.names)


def fibonacci_electrodes(m=32, radius=PAPER_RADII[-1]):
    """``m`` near-uniform points on the sphere of ``radius`` (m), ED-PINN Sec. 5.3.

    Fibonacci sphere sampling: z_i = 1 − (2i + 1)/m, azimuth i × the golden angle.

    Returns
    -------
    ndarray, shape (m, 3)
        Electrode positions (m).
    """
    m = check_int(m, "m", minimum=1)
    radius = float(check_positive(radius, "radius"))
    i = np.arange(m)
    z = 1.0 - (2 * i + 1) / m
    azimuth = i * np.pi * (3.0 - np.sqrt(5.0))
    rho = np.sqrt(1.0 - z**2)
    return radius * np.column_stack([rho * np.cos(azimuth), rho * np.sin(azimuth), z])


def read_montage(path, radius=PAPER_RADII[-1], exclude=FIDUCIALS):
    """Read a BioSemi/MNE ``Site Theta Phi`` montage onto the scalp sphere.

    Angles are in degrees with x = sinθ cosφ, y = sinθ sinφ, z = cosθ on the unit sphere
    (MNE's convention; θ may exceed ±90°, i.e. slightly below the equator).

    Parameters
    ----------
    path : str or Path
        Tab- or space-separated text file with a header line ``Site Theta Phi``.
    radius : float
        Scalp radius the unit positions are scaled to (m).
    exclude : sequence of str
        Site names that are landmarks, not electrodes (default: ``Nz``, ``LPA``, ``RPA``).
        Pass ``()`` to keep every row.
    """
    path = Path(path)
    radius = float(check_positive(radius, "radius"))
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    if not lines or [w.lower() for w in lines[0][:3]] != ["site", "theta", "phi"]:
        raise ValueError(f"{path} is not a 'Site Theta Phi' montage: first line {lines[:1]}")
    names, angles = [], []
    for number, words in enumerate(lines[1:], start=2):
        if len(words) != 3:
            raise ValueError(f"{path}:{number}: expected 'name theta phi', got {words}")
        if words[0] in exclude:
            continue
        try:
            angles.append((float(words[1]), float(words[2])))
        except ValueError as err:
            raise ValueError(f"{path}:{number}: angles must be numbers, got {words}") from err
        names.append(words[0])
    theta, phi = np.deg2rad(np.array(angles)).T
    unit = np.column_stack(
        [np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)]
    )
    return Montage(tuple(names), radius * unit)


def check_on_scalp(electrodes, head, rtol=ON_SCALP_RTOL):
    """Validate electrode positions (M, 3) (m): finite, and on the scalp sphere within ``rtol``."""
    electrodes = as_points(electrodes, "electrodes")
    r = np.linalg.norm(electrodes, axis=1)
    off = np.flatnonzero(np.abs(r - head.radius) > rtol * head.radius)
    if off.size:
        raise ValueError(
            f"{off.size} electrode(s) are off the scalp (radius {head.radius} m): e.g. electrode "
            f"{off[0]} at radius {r[off[0]]:.4f} m; electrodes must lie on the outer sphere "
            f"within {rtol:.0e} relative (project them with fibonacci_electrodes/read_montage)"
        )
    return electrodes
