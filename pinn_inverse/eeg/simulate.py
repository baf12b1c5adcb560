"""Simulated EEG: electrode potentials with the paper's noise model, and the volumetric truth."""

from dataclasses import dataclass

import numpy as np

from ..validation import as_array, check_choice, check_int
from .electrodes import check_on_scalp, fibonacci_electrodes
from .grid import VoxelGrid, solve_head
from .head import ThreeShellHead
from .sources import Dipole
from .sphere_series import exact_potential


@dataclass
class Simulation:
    """Result of :func:`simulate` (potentials in V, average reference).

    Attributes
    ----------
    clean : ndarray, shape (M,)
        Noise-free electrode potentials, average-referenced (mean over electrodes is 0).
    measurements : ndarray, shape (M,)
        Noisy potentials, average-referenced after the noise is added, as an amplifier's
        average reference would be.
    noise_std : float
        Standard deviation of the added noise (V).
    grid : VoxelGrid
        The grid of the volumetric truth.
    volume : ndarray, shape (n, n, n)
        True potential at the cell centres inside the head (NaN outside), with the same
        reference as ``clean``.
    """

    head: ThreeShellHead
    source: object
    electrodes: np.ndarray
    clean: np.ndarray
    measurements: np.ndarray
    noise_std: float
    seed: int
    grid: VoxelGrid
    volume: np.ndarray
    solver: str


MIN_GRID = 8
"""Fewest grid cells per axis of the volume potential."""


def check_noise(noise, name="noise"):
    """``noise`` as a float, refused unless finite and ≥ 0 (a fraction of the range)."""
    noise = float(as_array(noise, name))
    if noise < 0:
        raise ValueError(f"{name} must be >= 0 (a fraction of the potential range), got {noise}")
    return noise


def simulate(
    head=None, source=None, electrodes=None, noise=0.005, seed=0, grid_n=64, solver="auto"
):
    """Simulate scalp EEG and the volumetric potential (ED-PINN Sec. 5.2–5.3).

    Parameters
    ----------
    head : ThreeShellHead, optional
        Default: the paper's three shells.
    source : Dipole, GaussianSource or SourceSinkPair, optional
        Default: a 10 nA·m smoothed dipole at the paper's source centre (0.01, 0, 0) m.
    electrodes : array_like, shape (M, 3), optional
        Positions on the scalp (m). Default: the paper's 32 Fibonacci electrodes.
    noise : float
        Noise std as a fraction of the clean potentials' range (paper: 0.005, i.e. 0.5 %).
    seed : int
        Seed of the noise.
    grid_n : int
        Cells per axis of the volumetric truth.
    solver : {"auto", "exact", "grid"}
        ``exact``: the Legendre series (dipoles only); ``grid``: the sub-voxel grid solver at
        ``grid_n``³; ``auto``: exact for a dipole, grid otherwise.
    """
    head = ThreeShellHead() if head is None else head
    source = Dipole() if source is None else source
    electrodes = fibonacci_electrodes(radius=head.radius) if electrodes is None else electrodes
    electrodes = check_on_scalp(electrodes, head)
    noise = check_noise(noise)
    seed = check_int(seed, "seed")
    grid_n = check_int(grid_n, "grid_n", minimum=MIN_GRID)
    check_choice(solver, "solver", ("auto", "exact", "grid"))
    if solver == "auto":
        solver = "exact" if isinstance(source, Dipole) else "grid"
    if solver == "exact" and not isinstance(source, Dipole):
        raise ValueError("the exact series needs a Dipole source; use solver='grid'")
    source.check_compatible(head)

    grid = VoxelGrid.around(head, grid_n)
    centers = grid.centers()
    inside = head.contains(centers)
    volume = np.full(len(centers), np.nan)
    if solver == "exact":
        raw = exact_potential(head, source, electrodes)
        volume[inside] = exact_potential(head, source, centers[inside])
    else:
        solution = solve_head(head, source, n=grid_n)
        raw = solution.sample(electrodes)
        volume[inside] = solution.potential.ravel()[inside]
    reference = raw.mean()
    clean = raw - reference
    volume = (volume - reference).reshape((grid_n,) * 3)
    noise_std = noise * float(np.ptp(clean))
    noisy = raw + np.random.default_rng(seed).normal(0.0, noise_std, size=raw.shape)
    return Simulation(
        head,
        source,
        electrodes,
        clean,
        noisy - noisy.mean(),
        noise_std,
        seed,
        grid,
        volume,
        solver,
    )
