"""NOSER and TV reconstructions: the solvers, and recovery of a known inclusion."""

import numpy as np
import pytest

from pinn_inverse import metrics
from pinn_inverse.eit import patterns
from pinn_inverse.eit.baselines import Reconstructor, edge_differences, noser_step, tv_pdipm
from pinn_inverse.eit.dataset import add_noise
from pinn_inverse.eit.fem import ForwardModel
from pinn_inverse.eit.image import ImageGrid
from pinn_inverse.eit.mesh import disk_mesh
from pinn_inverse.eit.phantoms import Circle, Phantom


def test_noser_step_tends_to_least_squares():
    rng = np.random.default_rng(0)
    J = rng.standard_normal((40, 10))
    x = rng.standard_normal(10)
    np.testing.assert_allclose(noser_step(J, J @ x, hp=1e-10), x, rtol=1e-6)
    # more regularisation shrinks the update
    assert np.linalg.norm(noser_step(J, J @ x, hp=10.0)) < 0.5 * np.linalg.norm(x)


def test_edge_differences_count_and_kernel():
    mesh = disk_mesh(16, h=0.2)
    D = edge_differences(mesh)
    edges = np.sort(mesh.triangles[:, [[0, 1], [1, 2], [2, 0]]].reshape(-1, 2), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    assert D.shape == (np.count_nonzero(counts == 2), len(mesh.triangles))
    np.testing.assert_allclose(D @ np.ones(len(mesh.triangles)), 0.0, atol=1e-14)
    # total variation of a unit step across the x = 0 line is about its length, 2R
    step = (mesh.centroids[:, 0] > 0).astype(float)
    assert np.abs(D @ step).sum() == pytest.approx(2.0, rel=0.35)


def test_tv_pdipm_limits():
    rng = np.random.default_rng(1)
    mesh = disk_mesh(8, h=0.25)
    D = edge_differences(mesh)
    M = len(mesh.triangles)
    J = rng.standard_normal((3 * M, M))
    b = J @ rng.standard_normal(M)
    lsq = np.linalg.lstsq(J, b, rcond=None)[0]
    np.testing.assert_allclose(tv_pdipm(J, b, D, alpha=1e-9), lsq, atol=1e-4)
    flat = tv_pdipm(J, b, D, alpha=1e4)
    assert np.abs(D @ flat).sum() < 1e-2 * np.abs(D @ lsq).sum()


@pytest.fixture(scope="module")
def setup():
    fine = ForwardModel(disk_mesh(16, h=0.06))
    coarse = ForwardModel(disk_mesh(16, h=0.1))
    currents, meas = patterns.adjacent_injection(), patterns.adjacent_differences()
    phantom = Phantom((Circle((0.4, 0.2), 0.25, 4.0),))
    v_ref = fine.forward(1.0, currents, meas)
    v = add_noise(
        fine.forward(phantom.sigma(fine.mesh.centroids), currents, meas),
        30.0,
        np.random.default_rng(0),
        reference=v_ref,
    )
    grid = ImageGrid(coarse.mesh, 32)
    truth = np.where(grid.mask, phantom.sigma(grid.points).reshape(32, 32), 0)
    return Reconstructor(coarse, currents, meas), grid, truth, v_ref, v


@pytest.mark.parametrize("method", ["noser_difference", "tv_difference"])
def test_difference_imaging_finds_the_inclusion(setup, method):
    rec, grid, truth, v_ref, v = setup
    delta = getattr(rec, method)(v_ref, v)
    image = grid.elementwise(1 + delta)
    assert metrics.pearson_cc(image, truth, grid.mask) > 0.6
    peak = grid.points[np.argmax(np.where(grid.mask, image, -np.inf).ravel())]
    assert np.hypot(*(peak - [0.4, 0.2])) < 0.25  # a wrong sign would put it elsewhere


@pytest.mark.parametrize(
    "method, options", [("noser_absolute", {}), ("tv_absolute", {"outer": 2, "iterations": 8})]
)
def test_absolute_imaging(setup, method, options):
    rec, grid, truth, v_ref, v = setup
    own = rec.model.forward(2.5, rec.currents, rec.measurements)
    assert rec.fit_homogeneous(own) == pytest.approx(2.5, rel=1e-6)
    sigma = getattr(rec, method)(v, **options)
    image = grid.elementwise(sigma)
    assert metrics.pearson_cc(image, truth, grid.mask) > 0.5
    assert np.median(sigma) == pytest.approx(1.0, rel=0.15)


def test_bad_measurement_length(setup):
    rec, _, _, v_ref, v = setup
    with pytest.raises(ValueError, match="one voltage per measurement"):
        rec.noser_difference(v_ref[:-1], v)
