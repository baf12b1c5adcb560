"""Classical EEG source localisation on the same measurements as ED-PINN: the yardsticks.

- the exact lead field of the forward model (:func:`~pinn_inverse.eeg.sphere_series.leadfield`).
- :func:`source_space`: a cubic grid of dipole positions inside the brain.
- :func:`dipole_fit`: a single current dipole fitted by nonlinear least squares (position)
  with the moment solved linearly at each trial position (variable projection).
- :func:`sloreta`: standardized low-resolution electromagnetic tomography (Pascual-Marqui
  2002) on the source-space grid, with the average reference handled as in the paper.

Every function takes and returns SI units: positions in m, moments in A·m, potentials in V,
lead fields in V/(A·m). Measurements may have any common reference: both the data and the
lead field are average-referenced (multiplied by the centring matrix H = I − 11ᵀ/M) before
they are compared, which removes the reference exactly.
"""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from ..validation import as_array, check_positive
from .electrodes import check_on_scalp
from .head import ThreeShellHead
from .sources import SUPPORT_WIDTHS
from .sphere_series import POINT_WIDTH, leadfield

SOURCE_MARGIN = 0.005  # m: source-space distance to the brain boundary (MNE's mindist)
FIT_MARGIN = 0.001  # m: the dipole fit searches |x| ≤ brain radius − FIT_MARGIN
FIT_MIN_ELECTRODES = 8  # the dipole fit's fewest electrodes (six unknowns and a margin)


def _check_margin(head, margin):
    margin = float(as_array(margin, "margin"))
    if not SUPPORT_WIDTHS * POINT_WIDTH <= margin < head.radii[0]:
        raise ValueError(
            f"margin must lie between {SUPPORT_WIDTHS * POINT_WIDTH * 1e3:.1f} mm and the brain "
            f"radius {head.radii[0] * 1e3:.1f} mm, got {margin * 1e3:.2f} mm"
        )
    return margin


def _check_measurements(measurements, electrodes):
    measurements = as_array(measurements, "measurements", ndim=1)
    if measurements.shape[0] != len(electrodes):
        raise ValueError(
            f"measurements has {measurements.shape[0]} value(s) but there are "
            f"{len(electrodes)} electrodes; pass one potential (V) per electrode"
        )
    if not np.any(measurements - measurements.mean()):
        raise ValueError("measurements are constant across electrodes: no source to localise")
    return measurements


def _average_reference(values):
    return values - values.mean(axis=0)


def source_space(head: ThreeShellHead, spacing=0.005, margin=SOURCE_MARGIN):
    """Cubic grid of source positions inside the brain (m).

    The grid contains the origin and the points k·``spacing`` (k integer per axis) with
    |x| ≤ brain radius − ``margin``.

    Parameters
    ----------
    head : ThreeShellHead
    spacing : float
        Grid step (m).
    margin : float
        Minimum distance to the brain boundary (m), ≥ 0.3 mm so that every point is a valid
        :func:`leadfield` position. Default 5 mm (MNE's ``mindist``).

    Returns
    -------
    ndarray, shape (N, 3)
        Positions (m), x slowest.
    """
    spacing = float(check_positive(spacing, "spacing"))
    limit = head.radii[0] - _check_margin(head, margin)
    k = np.arange(-np.floor(limit / spacing), np.floor(limit / spacing) + 1) * spacing
    grid = np.stack(np.meshgrid(k, k, k, indexing="ij"), axis=-1).reshape(-1, 3)
    return grid[np.linalg.norm(grid, axis=1) <= limit * (1 + 1e-12)]


@dataclass(frozen=True)
class DipoleFit:
    """Result of :func:`dipole_fit`.

    Attributes
    ----------
    position : ndarray, shape (3,)
        Fitted dipole position (m).
    moment : ndarray, shape (3,)
        Fitted dipole moment (A·m).
    residual_norm : float
        ‖H(φ − L p)‖ at the fit (V), average-referenced.
    goodness_of_fit : float
        1 − ‖residual‖² / ‖Hφ‖².
    n_evaluations : int
        Forward evaluations of the nonlinear search (the coarse scan not included).
    reduced_chi2 : float or None
        ‖residual‖² / (σ² (M − 7)) when ``noise_std`` σ was given: ≈ 1 for a good model.
    on_boundary : bool
        True if the fit stopped within 0.1 mm of the search region's edge; the data then
        favour a source outside it and the position is not a minimum of the misfit.
    """

    position: np.ndarray
    moment: np.ndarray
    residual_norm: float
    goodness_of_fit: float
    n_evaluations: int
    reduced_chi2: float | None
    on_boundary: bool


def _projection(field, data):
    """Residual of the least-squares fit data ≈ field @ p, for stacked (…, M, 3) fields."""
    q, _ = np.linalg.qr(field)
    coef = np.einsum("...mk,m->...k", q, data)
    return data - np.einsum("...mk,...k->...m", q, coef)


def dipole_fit(
    head: ThreeShellHead,
    electrodes,
    measurements,
    noise_std=None,
    scan_spacing=0.005,
    margin=FIT_MARGIN,
):
    """Fit one current dipole to scalp potentials with the exact shell series.

    The moment enters linearly, so for each trial position x it is the least-squares
    solution p(x) = L(x)⁺ Hφ, and only the position is searched (variable projection): the
    misfit ‖Hφ − L(x) p(x)‖ is minimised by :func:`scipy.optimize.least_squares`, started
    from the best point of a coarse scan over :func:`source_space` at ``scan_spacing`` (with
    a margin of at least 5 mm: the series needs many more terms near the boundary).

    The position is constrained to the ball |x| ≤ R_max = brain radius − ``margin`` by the
    smooth change of variables x = R_max z / √(1 + |z|²), z ∈ ℝ³ unconstrained; nothing is
    clipped. A fit that ends against that boundary is flagged by ``on_boundary``.

    Parameters
    ----------
    head : ThreeShellHead
    electrodes : array_like, shape (M, 3)
        Electrode positions on the scalp (m), M ≥ 8 (7 parameters after the reference).
    measurements : array_like, shape (M,)
        Potentials (V), any common reference.
    noise_std : float, optional
        Standard deviation of the measurement noise (V); only used for ``reduced_chi2``
        (white noise does not change the least-squares optimum).
    scan_spacing : float
        Grid step of the coarse scan (m).
    margin : float
        Distance of the search region to the brain boundary (m), ≥ 0.3 mm.

    Returns
    -------
    DipoleFit
    """
    electrodes = check_on_scalp(electrodes, head)
    if len(electrodes) < FIT_MIN_ELECTRODES:
        raise ValueError(
            f"a dipole fit needs at least {FIT_MIN_ELECTRODES} electrodes, got {len(electrodes)}"
        )
    data = _average_reference(_check_measurements(measurements, electrodes))
    if noise_std is not None:
        noise_std = float(check_positive(noise_std, "noise_std"))
    r_max = head.radii[0] - _check_margin(head, margin)
    scan = source_space(head, scan_spacing, max(margin, SOURCE_MARGIN))
    fields = leadfield(head, electrodes, scan).reshape(len(electrodes), -1, 3)
    misfit = np.linalg.norm(_projection(fields.transpose(1, 0, 2), data), axis=1)
    start = scan[np.argmin(misfit)]

    scale = np.linalg.norm(data)
    count = [0]

    def position(z):
        return r_max * z / np.sqrt(1.0 + z @ z)

    def residual(z):
        count[0] += 1
        return _projection(leadfield(head, electrodes, position(z)), data) / scale

    z0 = start / np.sqrt(r_max**2 - start @ start)
    fit = least_squares(residual, z0, xtol=1e-12, ftol=1e-12, gtol=1e-12)
    x = position(fit.x)
    field = leadfield(head, electrodes, x)
    moment = np.linalg.lstsq(field, data, rcond=None)[0]
    res = data - field @ moment
    chi2 = None
    if noise_std is not None:
        chi2 = float(res @ res / (noise_std**2 * (len(electrodes) - 7)))
    return DipoleFit(
        position=x,
        moment=moment,
        residual_norm=float(np.linalg.norm(res)),
        goodness_of_fit=float(1.0 - (res @ res) / (data @ data)),
        n_evaluations=count[0],
        reduced_chi2=chi2,
        on_boundary=bool(np.linalg.norm(x) > r_max - 1e-4),
    )


@dataclass(frozen=True)
class SLoreta:
    """Result of :func:`sloreta`.

    Attributes
    ----------
    positions : ndarray, shape (N, 3)
        Source-space grid (m).
    moments : ndarray, shape (N, 3)
        Minimum-norm current estimate ĵ_i = T_i φ at each position (A·m).
    power : ndarray, shape (N,)
        Standardized power ĵ_iᵀ [S_ĵ]_ii⁻¹ ĵ_i (dimensionless).
    peak : ndarray, shape (3,)
        Position of maximum standardized power (m).
    alpha : float
        Regularisation α used in T = Kᵀ (K Kᵀ + α H)⁺ (V²/(A·m)²).
    """

    positions: np.ndarray
    moments: np.ndarray
    power: np.ndarray
    peak: np.ndarray
    alpha: float


def sloreta(
    head: ThreeShellHead,
    electrodes,
    measurements,
    noise_std,
    spacing=0.005,
    snr=3.0,
    margin=SOURCE_MARGIN,
):
    """sLORETA on a grid of free-orientation sources in the brain (Pascual-Marqui 2002).

    With the average reference, K = H L (H the centring matrix) and the data Hφ, the
    minimum-norm inverse is T = Kᵀ (K Kᵀ + α H)⁺ and ĵ_i = T_i φ (T_i: the three rows of
    position i). The estimate's variance under the model (unit-variance sources scaled by
    σ_J², white noise σ² H) is S_ĵ = σ_J² T K, and the standardized power is
    ĵ_iᵀ [S_ĵ]_ii⁻¹ ĵ_i with the 3×3 block [T K]_ii. For noise-free data from a single
    dipole at a grid point, the power peaks exactly there, for any α.

    Regularisation follows MNE's convention for white noise: λ² = 1/SNR², with the source
    variance σ_J² chosen so that the whitened lead field has trace(K Kᵀ)σ_J²/((M − 1)σ²) = 1,
    i.e. α = σ²/σ_J² = λ² trace(K Kᵀ)/(M − 1). ``noise_std`` σ only scales ``power`` (the
    location and ĵ do not depend on it).

    Parameters
    ----------
    head : ThreeShellHead
    electrodes : array_like, shape (M, 3)
        Electrode positions on the scalp (m).
    measurements : array_like, shape (M,)
        Potentials (V), any common reference.
    noise_std : float
        Standard deviation of the measurement noise (V).
    spacing : float
        Source-space grid step (m).
    snr : float
        Assumed amplitude signal-to-noise ratio (MNE's default 3).
    margin : float
        Source-space distance to the brain boundary (m).

    Returns
    -------
    SLoreta
    """
    electrodes = check_on_scalp(electrodes, head)
    data = _average_reference(_check_measurements(measurements, electrodes))
    noise_std = float(check_positive(noise_std, "noise_std"))
    snr = float(check_positive(snr, "snr"))
    positions = source_space(head, spacing, margin)
    K = leadfield(head, electrodes, positions)  # already H L
    m = len(electrodes)
    H = np.eye(m) - 1.0 / m
    alpha = float(np.trace(K @ K.T) / ((m - 1) * snr**2))
    T = K.T @ np.linalg.pinv(K @ K.T + alpha * H, hermitian=True)
    moments = (T @ data).reshape(-1, 3)
    T_i = T.reshape(-1, 3, m)
    K_i = K.T.reshape(-1, 3, m)
    resolution = np.einsum("nim,njm->nij", T_i, K_i)  # [T K]_ii, symmetric 3×3
    variance = noise_std**2 / alpha  # σ_J²
    power = np.einsum(
        "ni,ni->n", moments, np.linalg.solve(variance * resolution, moments[..., None])[..., 0]
    )
    return SLoreta(positions, moments, power, positions[np.argmax(power)].copy(), alpha)
