"""Scores of an ED-PINN reconstruction against the simulated truth (SI units).

- RelL2 of the potential on the truth's grid, inside the head (eq. 9 with its square root),
  both sides average-referenced at the electrodes;
- localisation error: the fitted dipole position (``dipole`` mode), or the position of the
  dipole with the same harmonic moments as I_est = −∇·(σ∇φ̂) in the brain (``free``/``known``
  modes, :func:`moment_dipole`); the half-maximum centroid of |I_est|
  (:func:`source_centroid`, closer to the paper's "centroid") is reported beside it;
- data fit: RelL2 of the predicted against the measured electrode potentials.
"""

import numpy as np

from ..metrics import localization_error, rel_l2
from .grid import VoxelGrid

CENTROID_FRACTION = 0.5  # voxels with |I_est| ≥ half its maximum (the full width at half max)


def brain_points(head, n=32, margin_cells=1):
    """Centres of an n³ grid over the head that lie in the brain, at least ``margin_cells``
    cells inside its boundary (where a single smooth network's I_est is dominated by the
    unresolved conductivity jump).

    Returns
    -------
    points : ndarray, shape (N, 3)
        Cell centres (m).
    cell_volume : float
        Volume of one cell (m³), the quadrature weight of each point.
    """
    grid = VoxelGrid.around(head, n)
    points = grid.centers()
    inside = np.linalg.norm(points, axis=1) < head.radii[0] - margin_cells * grid.h
    return points[inside], grid.h**3


def source_centroid(points, current, fraction=CENTROID_FRACTION):
    """Robust centroid of an estimated source: the |I|-weighted mean position of the points
    where |I| ≥ ``fraction`` × max |I|.

    A signed centroid is meaningless for a dipole (its density integrates to zero, so the
    positive and negative lobes cancel), and a plain |I|-weighted mean over the whole brain is
    pulled to the centre by low-level spread; thresholding at half maximum keeps the peak
    region only. Returns the position (m).
    """
    magnitude = np.abs(np.asarray(current))
    keep = magnitude >= fraction * magnitude.max()
    return (points[keep] * magnitude[keep, None]).sum(0) / magnitude[keep].sum()


def moment_dipole(points, current, cell_volume):
    """The dipole with the same first and second harmonic moments as a source density.

    For a dipole density I = −p·∇g(x − r₀) (any normalised blob g centred at r₀)

        ∫ xᵢ I dV = pᵢ,        ∫ xᵢxⱼ I dV = pᵢr₀ⱼ + pⱼr₀ᵢ,

    so p is the first moment and r₀ solves the traceless part of the second,
    T = p r₀ᵀ + r₀ pᵀ − ⅔(p·r₀) 𝟙 (five equations, three unknowns, least squares). Only the
    traceless part is used because xᵢxⱼ − δᵢⱼ|x|²/3 and xᵢ are harmonic: by Green's
    reciprocity their moments are fixed by the potential on the scalp, i.e. by the data,
    whereas ∫|x|² I dV is not. A PINN that fits the data with a source spread differently
    from the truth (a minimum-norm-like spread, pulled to the surface) still has the right
    harmonic moments, and so the right dipole; a thresholded centroid has no such guarantee.

    Parameters
    ----------
    points : array_like, shape (N, 3)
        Quadrature points (m), e.g. :func:`brain_points`.
    current : array_like, shape (N,)
        Source density at the points (A/m³).
    cell_volume : float
        Quadrature weight of each point (m³).

    Returns
    -------
    position : ndarray, shape (3,)
        r₀ (m).
    moment : ndarray, shape (3,)
        p (A·m).
    """
    weights = np.asarray(current) * cell_volume
    moment = weights @ points
    second = np.einsum("n,ni,nj->ij", weights, points, points)
    traceless = second - np.trace(second) / 3 * np.eye(3)
    # coefficient of r₀ₖ in Tᵢⱼ: pᵢδⱼₖ + pⱼδᵢₖ − ⅔ δᵢⱼ pₖ
    eye = np.eye(3)
    design = (
        np.einsum("i,jk->ijk", moment, eye)
        + np.einsum("j,ik->ijk", moment, eye)
        - 2 / 3 * np.einsum("ij,k->ijk", eye, moment)
    ).reshape(9, 3)
    position = np.linalg.lstsq(design, traceless.reshape(9), rcond=None)[0]
    return position, moment


def evaluate(problem, simulation, n_source_grid=32):
    """Metrics of a trained :class:`~pinn_inverse.eeg.ed_pinn.EDPINN` against a simulation."""
    inside = np.isfinite(simulation.volume.ravel())
    centers = simulation.grid.centers()[inside]
    reference = problem.predict(simulation.electrodes).mean()
    predicted = problem.predict(centers) - reference
    at_electrodes = problem.predict(simulation.electrodes) - reference
    out = {
        "rel_l2_volume": rel_l2(predicted, simulation.volume.ravel()[inside]),
        "rel_l2_data_fit": rel_l2(at_electrodes, simulation.measurements),
        "rel_l2_electrodes_vs_clean": rel_l2(at_electrodes, simulation.clean),
    }
    true_position = np.asarray(simulation.source.position)
    if problem.mode == "dipole":
        position, moment = problem.fitted_dipole()
        out["fitted_position_m"] = position
        out["fitted_moment_Am"] = moment
    else:
        points, cell_volume = brain_points(simulation.head, n_source_grid)
        current = problem.source_estimate(points)
        centroid = source_centroid(points, current)
        position, moment = moment_dipole(points, current, cell_volume)
        out["source_centroid_m"] = centroid
        out["centroid_error_m"] = localization_error(centroid, true_position)
        out["moment_position_m"] = position
        out["moment_Am"] = moment
    out["localization_error_m"] = localization_error(position, true_position)
    return out
