"""KTC2023 reader, the challenge score and the segmentation rule, on the real tank data."""

import numpy as np
import pytest

from pinn_inverse.eit import ktc
from pinn_inverse.eit.baselines import Reconstructor
from pinn_inverse.eit.fem import ForwardModel


def test_reader_and_empty_tank_physics(ktc_folder):
    """The CEM on the organisers' mesh explains the empty-tank voltages with one σ₀."""
    mesh, z = ktc.load_mesh(ktc_folder)
    assert (len(mesh.nodes), len(mesh.triangles), mesh.n_electrodes) == (1602, 3073, 32)
    assert np.abs(mesh.nodes).max() == pytest.approx(ktc.RADIUS, rel=1e-4)
    inj, mpat, uel = ktc.load_reference(ktc_folder)
    assert inj.shape == (32, 76) and mpat.shape == (32, 31) and uel.shape == (2356,)
    model = ForwardModel(mesh, z=z)
    v = model.forward(1.0, inj, mpat)
    scale = (v @ uel) / (v @ v)
    assert scale > 0
    # a homogeneous model fits the measured empty tank to within 10 % (here 7.5 %)
    assert np.linalg.norm(scale * v - uel) / np.linalg.norm(uel) < 0.1
    flipped = v.reshape(76, 31).T.ravel()  # the other storage order does not fit at all
    assert abs(flipped @ uel) / (np.linalg.norm(flipped) * np.linalg.norm(uel)) < 0.1
    truth = ktc.load_truth(ktc_folder, 1)
    assert truth.shape == (256, 256) and set(np.unique(truth)) <= {0, 1, 2}


def test_score_properties(ktc_folder):
    truth = ktc.load_truth(ktc_folder, 2)
    assert ktc.ktc_score(truth, truth) == pytest.approx(1.0)
    swapped = np.where(truth == 1, 2, np.where(truth == 2, 1, 0))
    assert ktc.ktc_score(truth, swapped) < ktc.ktc_score(truth, np.zeros_like(truth))
    with pytest.raises(ValueError, match="shape"):
        ktc.ktc_score(truth, truth[:100])


def test_segment_rule():
    yy, xx = np.mgrid[:64, :64]
    mask = (xx - 31.5) ** 2 + (yy - 31.5) ** 2 < 30**2
    # smooth blobs, as a reconstruction looks: conductive at (15, 15), resistive at (45, 45)
    image = np.exp(-((xx - 15) ** 2 + (yy - 15) ** 2) / 20) - np.exp(
        -((xx - 45) ** 2 + (yy - 45) ** 2) / 20
    )
    labels = ktc.segment(image, mask)
    assert np.all(labels[14:17, 14:17] == 2) and np.all(labels[44:47, 44:47] == 1)
    assert np.all(labels[~mask] == 0) and labels[32, 5] == 0


def test_noser_difference_on_target_2(ktc_folder):
    """One real reconstruction: NOSER beats an all-water guess in the challenge score."""
    from pinn_inverse.eit.image import ImageGrid

    mesh, z = ktc.load_mesh(ktc_folder)
    inj, mpat, uref = ktc.load_reference(ktc_folder)
    _, _, uel = ktc.load_target(ktc_folder, 2)
    rec = Reconstructor(ForwardModel(mesh, z=z), inj, mpat)
    grid = ImageGrid(mesh, 256)
    labels = ktc.segment(grid.elementwise(rec.noser_difference(uref, uel)), grid.mask)
    truth = ktc.load_truth(ktc_folder, 2)
    assert ktc.ktc_score(truth, labels) > ktc.ktc_score(truth, np.zeros_like(truth)) + 0.1
