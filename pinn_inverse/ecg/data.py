"""Benchmark data sets: heart truth u, v from Aliev-Panfilov and noisy body-surface maps.

``y = R u + ε`` with ``ε ~ N(0, σ²)`` i.i.d. per lead and frame (EAND-ARN eq. of the forward
model, with the paper's noise levels σ ∈ {0.01, 0.05, 0.1} on the normalised potentials).

By default the data are simulated with the very R the methods invert: the inverse crime, and
the paper's setting. It hides the forward model's own error (on a coarse mesh the BEM makes
torso signals systematically too large). ``forward_subdivisions=k`` simulates them with a
finer forward model instead: the heart potentials interpolated linearly onto the heart split
k times (:func:`~pinn_inverse.ecg.geometry.refine`), mapped to the torso split k times by the
BEM there, and read at the original torso nodes. The methods still get the coarse R.
The transfer matrix and the simulation are cached with :func:`pinn_inverse.io.save_arrays`
(atomic, SHA-256 checked): a corrupt cache file is rebuilt, never used. Cache files are keyed
on the geometry, the simulation parameters and the package version.
"""

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__
from ..io import load_arrays, save_arrays
from ..validation import as_array, check_int, check_positive
from .aliev_panfilov import aliev_panfilov
from .bem import transfer_matrix
from .geometry import Geometry, load_default_geometry, refine

NOISE_LEVELS = (0.01, 0.05, 0.1)


@dataclass(frozen=True)
class EcgData:
    """One benchmark data set.

    Attributes
    ----------
    geometry : Geometry
        Heart and torso surfaces (m).
    R : ndarray, shape (n_torso, n_heart)
        Transfer matrix (dimensionless): the one the methods invert.
    u, v : ndarray, shape (n_heart, n_frames)
        True normalised heart-surface potential and recovery variable.
    t : ndarray, shape (n_frames,)
        Frame times (model time units).
    y : ndarray, shape (n_torso, n_frames)
        Noisy body-surface potentials ``R u + ε``.
    sigma : float
        Noise standard deviation.
    seed : int
        Seed of the noise.
    forward_subdivisions : int
        0 when ``y`` was simulated with ``R`` itself; k when with the forward model on both
        surfaces split k times (the module docstring).
    """

    geometry: Geometry
    R: np.ndarray
    u: np.ndarray
    v: np.ndarray
    t: np.ndarray
    y: np.ndarray
    sigma: float
    seed: int
    forward_subdivisions: int = 0


def default_cache_dir():
    """``$PINN_INVERSE_CACHE/ecg``, by default ``~/.cache/pinn_inverse/ecg``."""
    root = os.environ.get("PINN_INVERSE_CACHE", Path.home() / ".cache" / "pinn_inverse")
    return Path(root) / "ecg"


def add_noise(R, u, sigma, seed):
    """Body-surface potentials ``R u + ε`` with seeded i.i.d. Gaussian noise.

    Parameters
    ----------
    R : array_like, shape (n_torso, n_heart)
        Transfer matrix.
    u : array_like, shape (n_heart, n_frames)
        Heart-surface potentials (V, or normalised).
    sigma : float
        Noise standard deviation (same unit as ``u``); 0 gives the noise-free map.
    seed : int
        Seed of the noise generator.
    """
    R = as_array(R, "R", ndim=2)
    u = as_array(u, "u", ndim=2)
    if R.shape[1] != u.shape[0]:
        raise ValueError(
            f"R has shape {R.shape} but u has {u.shape[0]} heart nodes; R must be "
            f"(n_torso, {u.shape[0]})"
        )
    sigma = float(as_array(sigma, "sigma", shape=()))
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    return R @ u + sigma * rng.standard_normal((R.shape[0], u.shape[1]))


def _key(geometry, **params):
    sha = hashlib.sha256()
    for array in (
        geometry.heart.vertices,
        geometry.heart.faces,
        geometry.torso.vertices,
        geometry.torso.faces,
    ):
        sha.update(np.ascontiguousarray(array).tobytes())
    sha.update(repr(sorted(params.items())).encode())
    sha.update(__version__.encode())
    return sha.hexdigest()[:16]


def _cached(path, build):
    if path is not None and path.exists():
        try:
            return load_arrays(path)
        except ValueError:
            path.unlink()
    arrays = build()
    if path is not None:
        save_arrays(path, **arrays)
    return arrays


def benchmark_data(
    sigma=0.01,
    seed=0,
    geometry=None,
    pacing_node=None,
    duration=60.0,
    n_frames=661,
    cache_dir="default",
    progress=False,
    forward_subdivisions=0,
):
    """The EAND-ARN benchmark: Aliev-Panfilov truth on the heart and a noisy torso map.

    Parameters
    ----------
    sigma : float
        Noise standard deviation on the torso potentials (the paper's 0.01, 0.05, 0.1).
    seed : int
        Seed of the noise.
    geometry : Geometry, optional
        Heart and torso; the shipped default when None.
    pacing_node : int, optional
        Pacing site; the lowest heart node (the apex) when None.
    duration : float
        Simulated time (model units).
    n_frames : int
        Frames (661 in the paper).
    cache_dir : path, "default" or None
        Where ``R`` and the simulation are cached (:func:`default_cache_dir` for
        ``"default"``, no cache for None).
    progress : bool
        Show progress bars.
    forward_subdivisions : int
        0 (default): ``y`` is simulated with the returned R (the inverse crime, the paper's
        setting); k ≥ 1: with the forward model on both surfaces split k times, the heart data
        interpolated (the module docstring). Each split multiplies the BEM's nodes by about 4
        and its time by about 20 (cached).

    Returns
    -------
    EcgData
    """
    check_positive(duration, "duration")
    forward_subdivisions = check_int(forward_subdivisions, "forward_subdivisions", minimum=0)
    check_int(n_frames, "n_frames", minimum=5)
    geometry = load_default_geometry() if geometry is None else geometry
    if not isinstance(geometry, Geometry):
        raise TypeError(f"geometry must be a Geometry, got {type(geometry).__name__}")
    if pacing_node is None:
        pacing_node = int(np.argmin(geometry.heart.vertices[:, 2]))
    cache = (
        None
        if cache_dir is None
        else Path(default_cache_dir() if cache_dir == "default" else cache_dir)
    )
    r_path = None if cache is None else cache / f"R_{_key(geometry)}.npz"
    R = _cached(r_path, lambda: {"R": transfer_matrix(geometry, progress=progress)})["R"]
    params = {"pacing": int(pacing_node), "duration": float(duration), "frames": n_frames}
    sim_path = None if cache is None else cache / f"ap_{_key(geometry, **params)}.npz"

    def simulate():
        sim = aliev_panfilov(
            geometry.heart, pacing_node, duration=duration, n_frames=n_frames, progress=progress
        )
        return {"u": sim.u, "v": sim.v, "t": sim.t}

    sim = _cached(sim_path, simulate)
    R_data = R
    if forward_subdivisions:
        k = forward_subdivisions
        f_path = None if cache is None else cache / f"Rdata_{_key(geometry, subdivisions=k)}.npz"
        R_data = _cached(f_path, lambda: {"R": _finer_forward(geometry, k, progress)})["R"]
    y = add_noise(R_data, sim["u"], sigma, seed)
    return EcgData(
        geometry, R, sim["u"], sim["v"], sim["t"], y, float(sigma), int(seed), forward_subdivisions
    )


def _finer_forward(geometry, levels, progress):
    """The heart-to-torso map on both surfaces split ``levels`` times, from and to the
    original nodes: the torso rows of the original nodes (they keep their indices) of the fine
    R, times the linear interpolation of the heart data onto the fine heart."""
    heart, P = refine(geometry.heart, levels, "heart")
    torso, _ = refine(geometry.torso, levels, "torso")
    fine = transfer_matrix(Geometry(heart, torso), progress=progress)
    return np.asarray(fine[: geometry.torso.n_nodes] @ P)


@dataclass(frozen=True)
class EcgiToolData:
    """The measured Utah experiment of ECGITool (``Test/utah.mat``).

    Attributes
    ----------
    torso : Surface
        Torso surface (771 nodes; m).
    sock_vertices, sock_faces : ndarray
        The epicardial sock (490 nodes, 939 triangles, 0-based): an *open* surface, in its
        own heart-centred frame (not registered to the torso in the file).
    ftm : ndarray, shape (192, 490)
        The file's forward transfer matrix.
    bspm : ndarray, shape (192, 87)
        Measured body-surface potentials.
    ep : ndarray, shape (490, 87)
        Simultaneously measured epicardial potentials.
    """

    torso: object
    sock_vertices: np.ndarray
    sock_faces: np.ndarray
    ftm: np.ndarray
    bspm: np.ndarray
    ep: np.ndarray


def load_ecgitool(path, unit=1e-3):
    """Read ECGITool's ``utah.mat``; lengths in the file are mm (``unit`` m per file unit)."""
    import scipy.io

    from .geometry import check_surface

    mat = scipy.io.loadmat(path, squeeze_me=True, struct_as_record=False)
    torso = check_surface(mat["torsogeom"].pts.T * unit, mat["torsogeom"].fac.T - 1, "torso")
    return EcgiToolData(
        torso,
        mat["epigeom"].pts.T * unit,
        mat["epigeom"].fac.T.astype(np.int64) - 1,
        np.asarray(mat["ftm"], dtype=float),
        np.asarray(mat["bspm"], dtype=float),
        np.asarray(mat["ep"], dtype=float),
    )
