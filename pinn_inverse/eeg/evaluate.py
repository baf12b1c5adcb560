"""Scores of an ED-PINN reconstruction against the simulated truth (SI units).

- RelL2 of the potential on the truth's grid, inside the head (eq. 9 with its square root),
  both sides average-referenced at the electrodes;
- localisation error: the fitted dipole position (``dipole`` mode), or the robust centroid of
  I_est = −∇·(σ∇φ̂) (``free``/``known`` modes, :func:`source_centroid`);
- data fit: RelL2 of the predicted against the measured electrode potentials.
"""

import numpy as np

from ..metrics import localization_error, rel_l2
from .grid import VoxelGrid

CENTROID_FRACTION = 0.5  # voxels with |I_est| ≥ half its maximum (the full width at half max)


def brain_points(head, n=32, margin_cells=1):
    """Centres of an n³ grid over the head that lie in the brain, at least ``margin_cells``
    cells inside its boundary (where a single smooth network's I_est is dominated by the
    unresolved conductivity jump) (m)."""
    grid = VoxelGrid.around(head, n)
    points = grid.centers()
    return points[np.linalg.norm(points, axis=1) < head.radii[0] - margin_cells * grid.h]


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
        points = brain_points(simulation.head, n_source_grid)
        position = source_centroid(points, problem.source_estimate(points))
        out["source_centroid_m"] = position
    out["localization_error_m"] = localization_error(position, true_position)
    return out
