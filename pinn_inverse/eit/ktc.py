"""Kuopio Tomography Challenge 2023 (level 1): reader, segmentation and the challenge score.

The data (``../shared/data/eit/ktc2023``): a 32-electrode water tank of radius 0.115 m, 76
current injections ``Inj`` (32, 76) (mA, by their size), 31 adjacent differential measurements
``Mpat`` (32, 31) per injection, voltages ``Uel`` (2356,) stored injection by injection (checked
against the forward model: the other order does not fit the empty tank at all), the empty tank
``ref.mat`` and 256 × 256 ground-truth segmentations (0 water, 1 resistive, 2 conductive).
The organisers' mesh ``Mesh_sparse.mat`` has **0-based** triangles ``H`` and electrode edges
``elfaces`` (checked: the index range is 0..1601); its electrode 1 is at the top (90°).

Images use the challenge's pixel grid: 256 × 256 pixel centres on [−0.115, 0.115]² m with row 0
at the top, which is :class:`~pinn_inverse.eit.image.ImageGrid`'s orientation.
"""

import time
from pathlib import Path

import numpy as np
from scipy.io import loadmat
from scipy.signal import fftconvolve

from ..validation import as_array, check_int
from .mesh import make_mesh

RADIUS = 0.115
"""Tank radius (m)."""


def _load(path):
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"KTC2023 file {path} is missing")
    return loadmat(path, squeeze_me=True)


def load_mesh(folder):
    """The organisers' first-order mesh and contact impedances.

    Returns
    -------
    mesh : EITMesh
        1602 nodes, 3073 triangles, 32 electrodes (m).
    z : ndarray, shape (32,)
        Contact impedances as given in the file.
    """
    data = _load(Path(folder) / "Mesh_sparse.mat")
    electrodes = [np.atleast_2d(e).astype(np.int64) for e in data["elfaces"]]
    mesh = make_mesh(data["g"], data["H"].astype(np.int64), electrodes, RADIUS)
    return mesh, np.asarray(data["z"], dtype=float)


def load_reference(folder):
    """Empty-tank measurement: ``(Inj (32, 76), Mpat (32, 31), Uel (2356,))``."""
    data = _load(Path(folder) / "ref.mat")
    return data["Injref"].astype(float), data["Mpat"].astype(float), data["Uelref"].astype(float)


def load_target(folder, index):
    """Measurement of target ``index`` (1..4): ``(Inj (32, 76), Mpat (32, 31), Uel (2356,))``."""
    index = check_int(index, "index", minimum=1)
    data = _load(Path(folder) / f"data{index}.mat")
    return data["Inj"].astype(float), data["Mpat"].astype(float), data["Uel"].astype(float)


def load_truth(folder, index):
    """Ground-truth segmentation of target ``index``: (256, 256) ints, 0 water, 1 resistive,
    2 conductive."""
    index = check_int(index, "index", minimum=1)
    return np.asarray(_load(Path(folder) / f"true{index}.mat")["truth"], dtype=int)


def segment(image, mask):
    """Three-class segmentation by multi-level Otsu, the organisers' rule.

    The class with most pixels is water (0); pixels below it are resistive (1), above it
    conductive (2). Outside the mask is water. No threshold looks at the ground truth.

    Parameters
    ----------
    image : array_like, shape (G, G)
        A difference reconstruction δσ (any units; only the order of values matters).
    mask : array_like of bool, shape (G, G)
        Pixels inside the tank.
    """
    from skimage.filters import threshold_multiotsu

    image = as_array(image, "image", ndim=2)
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != image.shape:
        raise ValueError(f"mask has shape {mask.shape} but image has shape {image.shape}")
    low, high = threshold_multiotsu(image[mask], classes=3)
    classes = np.digitize(image, [low, high])  # 0 below, 1 between, 2 above
    background = int(np.argmax([np.count_nonzero(mask & (classes == c)) for c in range(3)]))
    labels = np.zeros(image.shape, dtype=int)
    labels[mask & (classes < background)] = 1
    labels[mask & (classes > background)] = 2
    return labels


def ktc_ssim(truth, reco, r=80.0):
    """The challenge's SSIM of two binary images: a Gaussian window of width ``r`` pixels,
    normalised at the borders, c1 = 1e-4, c2 = 9e-4, averaged over all pixels."""
    c1, c2 = 1e-4, 9e-4
    w = np.arange(-np.ceil(2 * r), np.ceil(2 * r) + 1)
    kernel = np.exp(-0.5 * (w[:, None] ** 2 + w[None, :] ** 2) / r**2) / np.sqrt(2 * np.pi)

    def blur(x):
        return fftconvolve(x, kernel, mode="same")

    norm = blur(np.ones_like(truth))
    mu_t, mu_r = blur(truth) / norm, blur(reco) / norm
    var_t = blur(truth**2) / norm - mu_t**2
    var_r = blur(reco**2) / norm - mu_r**2
    cov = blur(truth * reco) / norm - mu_t * mu_r
    num = (2 * mu_t * mu_r + c1) * (2 * cov + c2)
    den = (mu_t**2 + mu_r**2 + c1) * (var_t + var_r + c2)
    return float(np.mean(num / den))


def ktc_score(truth, reco):
    """KTC2023 score: mean of the SSIMs of the conductive and of the resistive class masks.

    Parameters
    ----------
    truth, reco : array_like, shape (256, 256)
        Segmentations with 0 water, 1 resistive, 2 conductive.

    Returns
    -------
    float
        In [−1, 1]; 1 for a perfect segmentation.
    """
    truth = as_array(truth, "truth", shape=(256, 256))
    reco = as_array(reco, "reco", shape=(256, 256))
    conductive = ktc_ssim((truth == 2).astype(float), (reco == 2).astype(float))
    resistive = ktc_ssim((truth == 1).astype(float), (reco == 1).astype(float))
    return 0.5 * (conductive + resistive)


def classical(reconstructor, uel, uref, sigma0, grid, truth, tv_iterations=20):
    """Difference NOSER and TV (``tv_iterations`` PD-IPM iterations) of KTC voltages ``uel``
    against the empty tank's ``uref``, linearised at ``sigma0`` with the library's defaults,
    on ``grid``, segmented (:func:`segment`) and scored (:func:`ktc_score`) against ``truth``:
    ``{"noser" | "tv": (δσ image, labels, score, seconds)}``."""
    methods = {
        "noser": lambda: reconstructor.noser_difference(uref, uel, sigma0=sigma0),
        "tv": lambda: reconstructor.tv_difference(
            uref, uel, sigma0=sigma0, iterations=tv_iterations
        ),
    }
    out = {}
    for name, method in methods.items():
        start = time.perf_counter()
        image = grid.elementwise(method())
        labels = segment(image, grid.mask)
        out[name] = (image, labels, ktc_score(truth, labels), time.perf_counter() - start)
    return out
