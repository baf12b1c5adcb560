"""Finite differences on a masked image (the EIT paper's matrix-based ∇U and ΔU)."""

import numpy as np
import pytest

from pinn_inverse.operators.grid import (
    grid_derivative,
    grid_gradient,
    grid_laplacian,
    mask_boundary,
    stencil_weights,
)


def disk_image(G):
    """Pixel centres of a G × G grid on [−1, 1]² (row 0 at the top) and the unit disk's mask."""
    c = (np.arange(G) + 0.5) / G * 2 - 1
    x, y = np.meshgrid(c, c[::-1])
    return x, y, x**2 + y**2 < 1, 2 / G


def test_stencil_weights_are_the_textbook_ones():
    assert np.allclose(stencil_weights((-1, 0, 1), 1), [-0.5, 0, 0.5])
    assert np.allclose(stencil_weights((0, 1, 2), 1), [-1.5, 2, -0.5])
    assert np.allclose(stencil_weights((-1, 0, 1), 2), [1, -2, 1])
    assert np.allclose(stencil_weights((0, 1, 2, 3), 2), [2, -5, 4, -1])


def test_full_image_gradient_is_numpy_gradient_with_second_order_edges():
    # an independent reference: numpy.gradient, central inside and edge_order=2 at the edges;
    # y runs against the row index
    rng = np.random.default_rng(0)
    image, h = rng.standard_normal((9, 12)), 0.3
    mask = np.ones(image.shape, dtype=bool)
    Dx, Dy = grid_gradient(mask, h)
    assert (
        np.abs(Dx @ image[mask] - np.gradient(image, h, axis=1, edge_order=2)[mask]).max() < 1e-12
    )
    assert (
        np.abs(Dy @ image[mask] + np.gradient(image, h, axis=0, edge_order=2)[mask]).max() < 1e-12
    )


def test_exact_on_quadratics_and_zero_on_constants_on_a_disk():
    x, y, mask, h = disk_image(24)
    Dx, Dy = grid_gradient(mask, h)
    L = grid_laplacian(mask, h)
    u = (3 * x**2 - 2 * x * y + y**2 + x - 4 * y + 1)[mask]
    assert np.abs(Dx @ u - (6 * x - 2 * y + 1)[mask]).max() < 1e-10
    assert np.abs(Dy @ u - (-2 * x + 2 * y - 4)[mask]).max() < 1e-10
    assert np.abs(L @ u - 8.0).max() < 1e-9
    for D in (Dx, Dy, L):
        assert np.abs(D @ np.ones(mask.sum())).max() < 1e-10


def test_second_order_inside_and_at_the_edge_of_a_disk():
    """u = sin(2x) e^y: the error of ∂x, ∂y and Δ falls by 4 per halving of the pixel, on the
    interior pixels (central stencils) and on the edge pixels (one-sided, second order) alike.
    """
    errors = []
    for G in (32, 64, 128):
        x, y, mask, h = disk_image(G)
        edge = mask_boundary(mask)[mask]
        u = (np.sin(2 * x) * np.exp(y))[mask]
        exact = [2 * np.cos(2 * x) * np.exp(y), np.sin(2 * x) * np.exp(y), -3 * u]
        Dx, Dy = grid_gradient(mask, h)
        row = []
        for D, e in zip((Dx, Dy, grid_laplacian(mask, h)), exact, strict=True):
            err = np.abs(D @ u - (e[mask] if e.shape == mask.shape else e))
            row += [err[~edge].max(), err[edge].max()]
        errors.append(row)
    errors = np.array(errors)
    orders = np.log2(errors[:-1] / errors[1:])
    assert np.all((orders > 1.9) & (orders < 2.2)), orders


def test_first_order_two_point_stencil_where_a_line_has_two_pixels():
    # the row y = 2 has two pixels: both get (u₁ − u₀)/h, off by h for u = x² (first order)
    mask = np.zeros((5, 5), dtype=bool)
    mask[2, 1:3] = True
    mask[3, 1:4] = True
    h = 0.5
    x = h * np.tile(np.arange(5.0), (5, 1))
    D = grid_derivative(mask, h, "x")
    du = (D @ (x**2)[mask])[:2]
    assert np.allclose(du, x[2, 1] + x[2, 2])
    assert np.allclose(np.abs(du - 2 * x[2, 1:3]), h)


def test_mask_boundary_on_a_disk():
    x, y, mask, h = disk_image(32)
    edge = mask_boundary(mask)
    r = np.hypot(x, y)
    assert not (edge & ~mask).any()
    assert r[edge].min() > 1 - 2 * h and r[mask & ~edge].max() < 1 - h / 2
    # the edge holds one pixel per row or column it crosses, whichever is more: on average
    # 2√2/π per pixel of perimeter 2π/h
    assert edge.sum() == pytest.approx(4 * np.sqrt(2) / h, rel=0.05)


def test_bad_masks_are_refused_by_name():
    with pytest.raises(TypeError, match="boolean"):
        grid_gradient(np.ones((4, 4)), 0.1)
    with pytest.raises(ValueError, match="no pixel"):
        grid_gradient(np.zeros((4, 4), dtype=bool), 0.1)
    with pytest.raises(ValueError, match="spacing must be strictly positive"):
        grid_gradient(np.ones((4, 4), dtype=bool), 0.0)
    lonely = np.zeros((5, 5), dtype=bool)
    lonely[2, 2] = True
    with pytest.raises(ValueError, match="1 pixel"):
        grid_gradient(lonely, 0.1)
    with pytest.raises(ValueError, match="order"):
        grid_derivative(np.ones((4, 4), dtype=bool), 0.1, "x", order=3)
    with pytest.raises(ValueError, match="axis"):
        grid_derivative(np.ones((4, 4), dtype=bool), 0.1, "z")
