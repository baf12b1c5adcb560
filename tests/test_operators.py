"""Mesh Laplacian (EAND-ARN eq. 15, cotangent) and temporal stencils (eqs. 17-18)."""

import numpy as np
import pytest
import scipy.linalg
import trimesh
from scipy.spatial import Delaunay

from pinn_inverse.operators import (
    laplacian_eigenfunctions,
    mesh_edges,
    mesh_laplacian,
    temporal_derivative,
)

RADIUS = 2.0


def icosphere(subdivisions):
    mesh = trimesh.creation.icosphere(subdivisions=subdivisions, radius=RADIUS)
    return np.asarray(mesh.vertices), np.asarray(mesh.faces)


def harmonic(vertices, degree):
    """A real spherical harmonic of the given degree (a homogeneous harmonic polynomial)."""
    x, y, z = vertices.T
    return {
        1: x + 0.5 * z,
        2: x * y + (3 * z**2 - RADIUS**2) / 4,
        3: z * (5 * z**2 - 3 * RADIUS**2),
    }[degree]


@pytest.mark.parametrize("method", ["fdm", "cotangent"])
def test_zero_on_constants_and_nonpositive_spectrum(method):
    v, f = icosphere(2)
    L = mesh_laplacian(v, f, method)
    assert np.abs(L @ np.ones(len(v))).max() < 1e-12
    eig = scipy.linalg.eigvals(L.toarray())
    assert np.abs(eig.imag).max() < 1e-8
    assert eig.real.max() < 1e-10


def test_fdm_is_exact_for_quadratics_on_a_regular_triangular_lattice():
    # eq. (15) reduces to the 6-neighbour stencil; Δ(x² + y²) = 4, Δ(x² − y²) = 0
    h = 0.01
    i, j = np.meshgrid(np.arange(9), np.arange(9))
    points = np.column_stack([(i + 0.5 * (j % 2)).ravel() * h, j.ravel() * h * np.sqrt(3) / 2])
    faces = Delaunay(points).simplices
    vertices = np.column_stack([points, np.zeros(len(points))])
    L = mesh_laplacian(vertices, faces, "fdm")
    interior = np.flatnonzero(np.bincount(mesh_edges(faces).ravel()) == 6)
    x, y = points.T
    assert np.allclose((L @ (x**2 + y**2))[interior], 4.0, rtol=1e-9)
    assert np.allclose((L @ (x**2 - y**2))[interior], 0.0, atol=1e-8)


def test_fdm_spectrum_approaches_spherical_harmonic_eigenvalues():
    """Eigenvalues of degree l approach −l(l+1)/R² as the icosphere is refined.

    Eq. (15) is not pointwise consistent on irregular meshes (its first-order term only
    cancels when the unit vectors to the neighbours sum to zero), but its spectrum is close:
    the degree-2 and 3 errors shrink; the degree-1 error stays at about 0.6 % (it is exact on
    the icosahedron's perfect symmetry and levels off as irregular nodes appear).
    """
    exact = np.concatenate([[-deg * (deg + 1) / RADIUS**2] * (2 * deg + 1) for deg in range(4)])
    errors = []
    for subdivisions in (1, 2, 3):
        L = mesh_laplacian(*icosphere(subdivisions), "fdm")
        ev = np.sort(scipy.linalg.eigvals(L.toarray()).real)[::-1][: len(exact)]
        errors.append(
            [np.abs(ev[deg**2 : (deg + 1) ** 2] / exact[deg**2] - 1).max() for deg in (1, 2, 3)]
        )
    errors = np.array(errors)
    assert np.all(np.diff(errors[:, 1:], axis=0) < 0), errors
    assert np.all(errors < [0.008, 0.09, 0.21]), errors
    assert np.all(errors[-1] < [0.008, 0.015, 0.08]), errors


def test_cotangent_harmonics_converge_pointwise():
    errors = []
    for subdivisions in (2, 3, 4):
        v, f = icosphere(subdivisions)
        L = mesh_laplacian(v, f, "cotangent")
        errors.append(
            [
                np.linalg.norm(
                    L @ harmonic(v, deg) + deg * (deg + 1) / RADIUS**2 * harmonic(v, deg)
                )
                / np.linalg.norm(deg * (deg + 1) / RADIUS**2 * harmonic(v, deg))
                for deg in (1, 2, 3)
            ]
        )
    errors = np.array(errors)
    # first order in h: each refinement halves the error
    assert np.all(errors[1:] / errors[:-1] < 0.6), errors
    assert np.all(errors[-1] < 0.012), errors


def test_eigenfunctions_are_the_spherical_harmonics_on_a_sphere():
    # −Δ_S Y_lm = l(l + 1)/R² Y_lm: degree 1 three times, degree 2 five times; the degree-1
    # eigenspace is spanned by x, y, z
    v, f = icosphere(3)
    values, phi = laplacian_eigenfunctions(v, f, 8)
    exact = np.array([2.0] * 3 + [6.0] * 5) / RADIUS**2
    np.testing.assert_allclose(values, exact, rtol=0.01)
    coefficients = np.linalg.lstsq(phi[:, :3], v, rcond=None)[0]
    assert np.linalg.norm(phi[:, :3] @ coefficients - v) < 1e-3 * np.linalg.norm(v)
    # A-orthogonal, each with an area-weighted mean square of 1; none is the constant
    area = np.bincount(f.ravel(), weights=np.repeat(trimesh.Trimesh(v, f).area_faces / 3, 3))
    gram = phi.T @ (area[:, None] * phi) / area.sum()
    np.testing.assert_allclose(gram, np.eye(8), atol=1e-8)
    assert np.abs(phi.mean(axis=0)).max() < 0.05


def test_eigenvalues_converge_at_second_order_on_an_ellipsoid():
    # no closed form: the first eigenvalues' change under each split falls about 4× (P1
    # elements, second order in the edge length)
    values = []
    for subdivisions in (1, 2, 3, 4):
        v, f = icosphere(subdivisions)
        values.append(laplacian_eigenfunctions(v * [1.0, 0.7, 0.4], f, 4)[0])
    changes = np.abs(np.diff(values, axis=0)).max(axis=1)
    rates = changes[:-1] / changes[1:]
    assert np.all((rates > 3.0) & (rates < 5.5)), rates


def test_eigenfunctions_separate_the_two_sides_of_a_thin_wall():
    # a flat closed box, 2 × 2 × 0.1: the centres of its top and bottom faces are 0.1 apart in
    # space but about 2 along the surface. Its slow modes are those of two squares glued at
    # their rims: even in z (Neumann modes, λ = π²/4 twice, then π²/2) and odd in z (the
    # Dirichlet mode, λ = π²/2, largest at the centre): the first six eigenfunctions hold
    # both, and put the two centres far apart while a point 0.1 away on the same face stays
    # close
    mesh = trimesh.creation.box(extents=[2.0, 2.0, 0.1])
    mesh = mesh.subdivide().subdivide().subdivide().subdivide()
    v, f = np.asarray(mesh.vertices), np.asarray(mesh.faces)
    phi = laplacian_eigenfunctions(v, f, 6)[1]

    def at(point):
        return phi[np.linalg.norm(v - point, axis=1).argmin()]

    top, bottom, beside = at([0, 0, 0.05]), at([0, 0, -0.05]), at([0.1, 0, 0.05])
    across, along = np.linalg.norm(top - bottom), np.linalg.norm(top - beside)
    assert across > 2.0 and across > 10 * along, (across, along)  # in space: 0.1 and 0.1


def test_eigenfunctions_reject_bad_input():
    v, f = icosphere(1)
    with pytest.raises(ValueError, match="more than k nodes"):
        laplacian_eigenfunctions(v, f, len(v))
    with pytest.raises(ValueError, match="k must be"):
        laplacian_eigenfunctions(v, f, 0)
    with pytest.raises(ValueError, match="0-based indices"):
        laplacian_eigenfunctions(v, f + 1, 3)


def test_laplacian_rejects_bad_input():
    v, f = icosphere(1)
    with pytest.raises(ValueError, match="method"):
        mesh_laplacian(v, f, "spectral")
    with pytest.raises(ValueError, match="0-based"):
        mesh_laplacian(v, f + 1, "fdm")
    with pytest.raises(ValueError, match="NaN"):
        mesh_laplacian(np.where(np.arange(len(v))[:, None] == 3, np.nan, v), f)


def test_temporal_derivative_is_fourth_order_with_boundary_rows():
    errors = []
    sizes = (21, 41, 81, 161)
    for n in sizes:
        t = np.linspace(0.0, 1.0, n)
        D = temporal_derivative(n, t[1] - t[0])
        errors.append(np.abs(D @ np.sin(3 * t) - 3 * np.cos(3 * t)).max())
    rates = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(rates > 3.8), rates


def test_temporal_derivative_rows_match_the_paper():
    D = temporal_derivative(7, 0.5).toarray() * 12 * 0.5
    assert np.allclose(D[0, :5], [-25, 48, -36, 16, -3])
    assert np.allclose(D[1, :5], [-3, -10, 18, -6, 1])
    assert np.allclose(D[3, 1:6], [1, -8, 0, 8, -1])
    assert np.allclose(D[-2, -5:], [-1, 6, -18, 10, 3])
    assert np.allclose(D[-1, -5:], [3, -16, 36, -48, 25])
    t = np.linspace(0, 3, 7)
    assert np.allclose(temporal_derivative(7, 0.5) @ t**4, 4 * t**3)


def test_temporal_derivative_rejects_bad_input():
    with pytest.raises(ValueError, match=">= 5"):
        temporal_derivative(4, 0.1)
    with pytest.raises(ValueError, match="positive"):
        temporal_derivative(10, 0.0)
