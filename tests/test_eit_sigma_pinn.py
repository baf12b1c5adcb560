"""The CNN-PINN's stage 2: the σ-PINN's residual, the terms of eq. (2), recovery, bad input."""

import deepxde as dde
import numpy as np
import pytest

from pinn_inverse import backend
from pinn_inverse.eit import ForwardModel, ImageGrid, disk_mesh, trigonometric_pattern
from pinn_inverse.eit.cnn_pinn import SIGMA_PRESETS, TERMS, cnn_pinn
from pinn_inverse.eit.cnn_pinn.sigma_pinn import (
    RESIDUALS,
    boundary_current_density,
    loss_terms,
    pixel_aux,
)
from pinn_inverse.nets.residual_mlp import residual_mlp_weights

G = 32


@pytest.fixture(scope="module")
def mesh():
    return disk_mesh(16, h=0.06)


@pytest.fixture(scope="module")
def grid(mesh):
    return ImageGrid(mesh, G)


def image(grid, values):
    return np.where(grid.mask, values.reshape(G, G), 0.0)


def on_points(operator, field, points):
    return backend.apply_operator(operator, field, points)


A = 0.8  # σ = exp(a x) and u = exp(−a x) + y solve ∇·(σ∇u) = e^{ax}(a u_x + Δu) = 0


@pytest.mark.network
@pytest.mark.parametrize("formulation", ["divergence", "log"])
def test_residual_vanishes_for_an_exact_pair_and_not_for_a_wrong_sigma(grid, formulation):
    x, y = grid.points.T
    problem = cnn_pinn(U=image(grid, np.exp(-A * x) + y), oracle=True)
    points, aux = problem.data.pixel_points, problem.data.pixel_aux
    inside = aux[:, 3] == 0
    residual = RESIDUALS[formulation]

    def r(sign):
        return on_points(
            lambda x, s: residual(x, s, backend.as_tensor(aux)),
            lambda x: backend.exp(sign * A * x[:, 0:1]),
            points,
        )[:, 0]

    # U is scaled by max |U|; the residual's scale is σΔU = a² (ΔU = a² e^{−ax} for "log")
    # in those units; with σ = exp(−a x) the residual is 2a² e^{−2ax} (2a² e^{−ax} for
    # "log"): at least 0.4 a² (0.9 a²) on the disk
    scale = A**2 / problem.scales.potential
    right, wrong = r(1.0)[inside], np.abs(r(-1.0)[inside])
    # the stencils' truncation in closed form: on e^{−ax} the central differences give
    # −a e^{−ax} (1 + (ah)²/6) and a² e^{−ax} (1 + (ah)²/12), so r = −a² (ah)²/12 exactly to
    # leading order (r/σ: times e^{−ax}); measured 2.08e-4 a² at h = 1/16
    h = 2 / G
    leading = -((A * h) ** 2) / 12 * (np.exp(-A * points[inside, 0]) if formulation == "log" else 1)
    np.testing.assert_allclose(right / scale, leading, rtol=0.02)
    assert wrong.min() > 0.3 * scale
    # exact derivatives of U in place of the image's: the residual is round-off
    u = points
    exact = aux.copy()
    exact[:, 0] = -A * np.exp(-A * u[:, 0]) / problem.scales.potential
    exact[:, 1] = 1 / problem.scales.potential
    exact[:, 2] = A**2 * np.exp(-A * u[:, 0]) / problem.scales.potential
    r_exact = on_points(
        lambda x, s: residual(x, s, backend.as_tensor(exact)),
        lambda x: backend.exp(A * x[:, 0:1]),
        points,
    )
    assert np.abs(r_exact).max() < 1e-5 * scale


@pytest.mark.network
def test_each_term_of_eq2_on_an_analytic_sigma(grid):
    """σ = 1 + x/2 − y/4 with ∇U = (1, 2), ΔU = 1/2, ∂U/∂n = 1 and g = 0.3 on the boundary."""
    points, aux = pixel_aux(np.zeros((G, G)), grid.mask, 2 / G, lambda angles: 0 * angles)
    on = aux[:, 3] == 1
    aux[:, 0], aux[:, 1], aux[:, 2] = 1.0, 2.0, 0.5
    aux[:, 4], aux[:, 5] = np.where(on, 1.0, 0.0), np.where(on, 0.3, 0.0)
    xi = 1e-4
    terms = on_points(
        lambda x, s: loss_terms(x, s, backend.as_tensor(aux), top_m=40, xi=xi),
        lambda x: 1.0 + 0.5 * x[:, 0:1] - 0.25 * x[:, 1:2],
        points,
    )
    assert len(terms) == len(TERMS) - 1  # all but weight decay
    x, y = points.T
    sigma = 1 + x / 2 - y / 4
    r = 0.5 * 1.0 - 0.25 * 2.0 + sigma * 0.5  # ∇σ·∇U + σΔU
    expected = [
        np.mean(r[~on] ** 2),
        np.mean(np.sort(np.abs(r[~on]))[-40:]),
        np.mean(np.abs(sigma[on] * 1.0 - 0.3)),
        np.mean(np.abs(sigma[on] - 1.0)),
        np.sqrt(1 / 4 + 1 / 16 + xi),  # |∇σ|² = 5/16 everywhere
        np.mean(np.maximum(0.0, 1 - sigma)),  # over Ω and ∂Ω
    ]
    assert np.allclose(np.ravel(terms), expected, rtol=1e-5)
    # the closed forms on the unit disk, which the pixels approximate: the mean of
    # (σ/2)² is (1 + 5/64)/4, of max(0, 1 − σ) = max(0, (√5/4) x') is (√5/4) · 2/(3π)
    assert expected[0] == pytest.approx((1 + 5 / 64) / 4, rel=0.01)
    assert expected[5] == pytest.approx(np.sqrt(5) / 4 * 2 / (3 * np.pi), rel=0.03)
    # σ = 0.9: every term in closed form (r = σ/2, |∇σ| = 0, 1 − σ = σ* − σ = 0.1)
    constant = on_points(
        lambda x, s: loss_terms(x, s, backend.as_tensor(aux), top_m=40, xi=xi),
        lambda x: 0.9 + 0 * x[:, 0:1],
        points,
    )
    closed = [0.45**2, 0.45, 0.6, 0.1, np.sqrt(xi), 0.1]
    assert np.allclose(np.ravel(constant), closed, rtol=1e-5)
    # the "log" formulation's residual is r/σ = 1/2: only the pde and top_m terms change
    log = on_points(
        lambda x, s: loss_terms(x, s, backend.as_tensor(aux), 40, xi, formulation="log"),
        lambda x: 0.9 + 0 * x[:, 0:1],
        points,
    )
    assert np.allclose(np.ravel(log), [0.25, 0.5, *closed[2:]], rtol=1e-5)


@pytest.mark.network
def test_weight_decay_is_the_sum_of_squared_weight_matrices(grid):
    problem = cnn_pinn(U=image(grid, grid.points[:, 0]), oracle=True, seed=3)
    problem.predict()  # builds the network (TensorFlow creates its weights on first call)
    initial = residual_mlp_weights([2, 64, 64, 64, 64, 1], seed=3)
    expected = sum(float((w.astype(float) ** 2).sum()) for w, _ in initial)
    assert float(backend.to_numpy(backend.squared_weights(problem.net))) == pytest.approx(
        expected, rel=1e-5
    )
    assert problem.loss_names == list(TERMS)


def test_boundary_current_density_carries_each_electrodes_current(mesh):
    currents = trigonometric_pattern(16)[:, 0]
    theta = np.linspace(-np.pi, np.pi, 200001)[:-1]
    g = boundary_current_density(mesh, currents, theta)
    ds = mesh.radius * (theta[1] - theta[0])
    centres = 2 * np.pi * np.arange(16) / 16
    for k, current in enumerate(currents):  # ∫ over electrode k's arc of g ds = I_k
        near = np.abs(np.angle(np.exp(1j * (theta - centres[k])))) < np.pi / 16
        assert g[near].sum() * ds == pytest.approx(current, rel=1e-3, abs=1e-6)
    assert np.mean(g == 0) == pytest.approx(
        1 - mesh.electrode_lengths().sum() / (2 * np.pi), abs=1e-3
    )


@pytest.mark.network
@pytest.mark.parametrize("radius, sigma", [(1.0, 1.0), (0.15, 2.0)])
def test_image_flux_follows_the_injected_current_in_the_problems_units(radius, sigma):
    """On the FEM's homogeneous solution, the problem's σ̃ ∂Ũ/∂ñ at the edge pixels follows
    its nondimensional g̃ = j R / (σ U_scale): correlated, with a least-squares slope near 1
    (0.67 and 0.72 measured: the edge pixels lie up to a pixel inside the disk, where the
    electrodes' current has spread into the gaps), and much closer to g̃ than to −g̃. A flipped
    sign or normal, or g̃ in other units (R = 0.15 m, σ = 2 S/m: a factor 7), fails."""
    mesh = disk_mesh(16, h=0.06 * radius, radius=radius)
    grid = ImageGrid(mesh, G)
    U = grid.nodal(ForwardModel(mesh).solve(sigma, trigonometric_pattern(16)).u)[0]
    problem = cnn_pinn(U=U, oracle=True, mesh=mesh, background=sigma)
    aux = problem.data.pixel_aux
    on = aux[:, 3] == 1
    flux, g = aux[on, 4], aux[on, 5]
    assert np.corrcoef(flux, g)[0, 1] > 0.85  # measured 0.89 and 0.94
    assert 0.55 < flux @ g / (g @ g) < 0.85
    assert np.abs(flux - g).mean() < 0.5 * np.abs(flux + g).mean()  # measured 0.32 and 0.24


@pytest.mark.network
def test_predict_is_in_siemens_per_metre(grid):
    # σ̃ is in units of the background: the same network gives twice the σ on twice the
    # background
    U = image(grid, grid.points[:, 0])
    one = cnn_pinn(U=U, oracle=True, background=1.0).predict()
    two = cnn_pinn(U=U, oracle=True, background=2.0).predict()
    assert np.allclose(two, 2 * one, rtol=1e-6) and np.ptp(one[grid.mask]) > 0


def smooth_inclusion(points):
    """1 S/m with a smooth 2 S/m disk of radius 0.35 m at (0.3, 0.1) m (edge width 0.1 m)."""
    r = np.hypot(points[:, 0] - 0.3, points[:, 1] - 0.1)
    return 1 + 1 / (1 + np.exp(-(0.35 - r) / 0.1))


@pytest.mark.network
def test_recovers_a_smooth_two_level_sigma_from_the_true_potential(mesh, grid):
    U = grid.nodal(
        ForwardModel(mesh).solve(smooth_inclusion(mesh.centroids), trigonometric_pattern(16)).u
    )[0]
    problem = cnn_pinn(U=U, oracle=True, mesh=mesh, preset=SIGMA_PRESETS["default"].quick())
    problem.train(progress=False)
    sigma = problem.predict()
    assert sigma.shape == (G, G) and np.all(sigma[~grid.mask] == 0)
    truth = smooth_inclusion(grid.points).reshape(G, G)[grid.mask]
    estimate = sigma[grid.mask]
    error = np.linalg.norm(estimate - truth) / np.linalg.norm(truth)
    constant = np.linalg.norm(1 - truth) / np.linalg.norm(truth)  # σ ≡ background: 0.24
    inclusion = truth > 1.5
    # measured after 300 steps, seed 0, τ = 0.1 (tensorflow / pytorch): 0.091 / 0.095, the
    # inclusion's mean 1.47 / 1.46, the background's 1.09 / 1.09 (τ = 0.01: 0.073 / 0.078)
    assert error < 0.12 and error < constant / 2, (error, constant)
    assert estimate[inclusion].mean() > 1.35
    assert abs(estimate[~inclusion].mean() - 1) < 0.2


def test_bad_input_is_refused_by_name(mesh, grid):
    U = image(grid, grid.points[:, 0])
    with pytest.raises(ValueError, match="must be a square image"):
        cnn_pinn(U=U[:, :-1], oracle=True, mesh=mesh)
    with pytest.raises(ValueError, match="U must be a 2-D array"):
        cnn_pinn(U=U.ravel(), oracle=True, mesh=mesh)
    nan = U.copy()
    nan[3, 4] = np.nan
    with pytest.raises(ValueError, match="U contains 1 NaN"):
        cnn_pinn(U=nan, oracle=True, mesh=mesh)
    with pytest.raises(ValueError, match="zero on every pixel"):
        cnn_pinn(U=0 * U, oracle=True, mesh=mesh)
    with pytest.raises(ValueError, match="unknown preset 'fast'"):
        cnn_pinn(U=U, oracle=True, mesh=mesh, preset="fast")
    with pytest.raises(ValueError, match="pass U"):
        cnn_pinn(oracle=True, mesh=mesh)
    with pytest.raises(ValueError, match="pass oracle=True"):
        cnn_pinn(U=U, mesh=mesh)
    with pytest.raises(ValueError, match="needs dV"):
        cnn_pinn(np.zeros(16), mesh=mesh)
    with pytest.raises(TypeError, match="oracle must be True or False"):
        cnn_pinn(U=U, oracle="yes", mesh=mesh)
    with pytest.raises(TypeError, match="predict"):
        cnn_pinn(np.zeros(16), unet=object(), mesh=mesh)
    with pytest.raises(ValueError, match="currents must have shape"):
        cnn_pinn(U=U, oracle=True, mesh=mesh, currents=np.zeros(15))
    with pytest.raises(ValueError, match="background must be strictly positive"):
        cnn_pinn(U=U, oracle=True, mesh=mesh, background=0.0)
    with pytest.raises(ValueError, match="unknown formulation 'flux'"):
        cnn_pinn(
            U=U, oracle=True, mesh=mesh, preset=SIGMA_PRESETS["default"].replace(formulation="flux")
        )
    with pytest.raises(TypeError, match="no field"):
        SIGMA_PRESETS["default"].replace(top_k=3)


@pytest.mark.network
def test_sigma_is_the_background_times_the_exponential_of_the_network(grid):
    U = image(grid, grid.points[:, 0])
    sigma = cnn_pinn(U=U, oracle=True, background=2.0).predict()[grid.mask]
    raw = cnn_pinn(U=U, oracle=True, background=2.0)
    raw.net.apply_output_transform(lambda x, y: y)  # before its first call: the bare network
    y = raw.model.predict(raw.data.pixel_points)[:, 0]
    np.testing.assert_allclose(sigma, 2.0 * np.exp(y), rtol=1e-5)
    assert np.ptp(y) > 0.01


class _Stage1:
    """A stand-in for stage 1: predicts a fixed image."""

    def __init__(self, U):
        self.U = U

    def predict(self, dV):
        return self.U


@pytest.mark.network
def test_stage_one_feeds_stage_two(mesh, grid):
    U = image(grid, grid.points[:, 0])
    stage1 = _Stage1(U)
    problem = cnn_pinn(np.zeros(16), unet=stage1, mesh=mesh, background=2.0)
    assert problem.unet is stage1 and not problem.oracle
    assert np.array_equal(problem.U, U)
    assert problem.scales.sigma == 2.0
    with pytest.raises(ValueError, match="dV must have shape"):
        cnn_pinn(np.zeros(15), unet=stage1, mesh=mesh)


class _Interrupt(dde.callbacks.Callback):
    def __init__(self, trainer, at):
        super().__init__()
        self.trainer, self.at = trainer, at

    def on_epoch_end(self):
        if self.trainer.done == self.at:
            raise KeyboardInterrupt


@pytest.mark.network
def test_an_interrupted_run_resumes_to_the_same_sigma_and_refuses_another_image(grid, tmp_path):
    x, y = grid.points.T
    U = image(grid, np.exp(-A * x) + y)
    preset = SIGMA_PRESETS["default"].replace(iterations=20)
    straight = cnn_pinn(U=U, oracle=True, preset=preset)
    straight.train(progress=False)
    interrupted = cnn_pinn(U=U, oracle=True, preset=preset)
    with pytest.raises(KeyboardInterrupt):
        interrupted.train(
            checkpoint=tmp_path,
            checkpoint_every=5,
            progress=False,
            callbacks=[_Interrupt(interrupted.trainer, 13)],
        )
    resumed = cnn_pinn(U=U, oracle=True, preset=preset)
    resumed.train(checkpoint=tmp_path, checkpoint_every=5, progress=False)
    assert resumed.trainer.done == 20
    np.testing.assert_allclose(resumed.predict(), straight.predict(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="U_sha256"):
        cnn_pinn(U=2 * U, oracle=True, preset=preset).train(checkpoint=tmp_path, progress=False)
