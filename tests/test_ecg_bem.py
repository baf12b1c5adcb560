"""BEM transfer matrix: row sums, concentric-sphere harmonics, bad input."""

import numpy as np
import pytest
import scipy.integrate
import trimesh

from pinn_inverse.ecg.bem import linear_single_layer, transfer_matrix
from pinn_inverse.ecg.geometry import check_nested, check_surface

A_RADIUS, B_RADIUS = 1.0, 2.0


def spheres(subdivisions):
    def sphere(radius):
        mesh = trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius)
        return check_surface(np.asarray(mesh.vertices), np.asarray(mesh.faces))

    return check_nested(sphere(A_RADIUS), sphere(B_RADIUS))


def g(degree, a=A_RADIUS, b=B_RADIUS):
    """Heart-to-torso gain of a degree-l harmonic between concentric spheres (the issue's g_l)."""
    return (
        (2 * degree + 1)
        * a ** (degree + 1)
        * b**degree
        / ((degree + 1) * a ** (2 * degree + 1) + degree * b ** (2 * degree + 1))
    )


HARMONICS = {
    1: lambda p: p[:, 2],
    2: lambda p: p[:, 0] * p[:, 1],
    3: lambda p: p[:, 2] * (5 * p[:, 2] ** 2 - 3 * (p**2).sum(axis=1)),
}


def gains(R, geometry):
    """Least-squares gain of each harmonic from heart to torso, relative to g_l."""
    out = {}
    for degree, harmonic in HARMONICS.items():
        expected = g(degree) * harmonic(geometry.torso.vertices) / B_RADIUS**degree
        torso = R @ harmonic(geometry.heart.vertices)
        out[degree] = (torso @ expected) / (expected @ expected)
    return out


@pytest.fixture(scope="module")
def fine():
    geometry = spheres(3)
    return geometry, transfer_matrix(geometry)


def test_issue_gains_are_the_closed_form():
    assert g(1) == pytest.approx(0.6)
    assert g(2) == pytest.approx(0.2985, abs=1e-4)
    assert g(3) == pytest.approx(0.1443, abs=1e-4)


def test_rows_sum_to_one(fine):
    geometry, R = fine
    assert R.shape == (geometry.torso.n_nodes, geometry.heart.n_nodes)
    assert np.abs(R.sum(axis=1) - 1.0).max() < 1e-10


def test_concentric_sphere_harmonics_on_640_node_spheres(fine):
    geometry, R = fine
    ratio = gains(R, geometry)
    assert abs(ratio[1] - 1) < 0.01, ratio  # the issue's target: g1 = 0.6 within 1 %
    assert abs(ratio[2] - 1) < 0.01, ratio
    assert abs(ratio[3] - 1) < 0.02, ratio
    # the whole torso map, not only its projection, is the scaled harmonic
    expected = g(1) * geometry.torso.vertices[:, 2] / B_RADIUS
    torso = R @ geometry.heart.vertices[:, 2]
    assert np.linalg.norm(torso - expected) / np.linalg.norm(expected) < 0.005


def test_harmonic_gain_error_shrinks_under_refinement(fine):
    coarse = spheres(2)
    error_coarse = {d: abs(r - 1) for d, r in gains(transfer_matrix(coarse), coarse).items()}
    error_fine = {d: abs(r - 1) for d, r in gains(fine[1], fine[0]).items()}
    assert error_fine[1] < error_coarse[1] / 3
    assert error_fine[3] < error_coarse[3] / 2


def test_transfer_matrix_needs_a_checked_geometry():
    with pytest.raises(TypeError, match="Geometry"):
        transfer_matrix((np.zeros((4, 3)), np.zeros((4, 3), dtype=int)))


# An ECGSim heart triangle (angles 173.8°, 4.2°, 2.1°) and a 19 mm triangle
NEEDLE = np.array(
    [[0.0336, -0.004, -0.0326], [0.0315, 0.0036, -0.0345], [0.0395, -0.0191, -0.0294]]
)
PLAIN = np.array([[0.0, 0.0, 0.0], [0.019, 0.0, 0.0], [0.006, 0.016, 0.0]])


def reference_single_layer(point, corners):
    """∫ N_k / |r − r₀| dS by adaptive scipy quadrature, about the corner nearest r₀."""
    start = np.argmin(np.linalg.norm(corners - point, axis=1))
    a, b, c = np.roll(corners, -start, axis=0)
    area2 = np.linalg.norm(np.cross(b - a, c - a))
    out = np.empty(3)
    for k in range(3):
        # Duffy coordinates r = a + u (b − a) + u v (c − b): Jacobian u · 2A
        hats = (lambda u, v: 1 - u, lambda u, v: u * (1 - v), lambda u, v: u * v)[k]

        def integrand(v, u, hat=hats):
            r = a + u * (b - a) + u * v * (c - b)
            return hat(u, v) * u * area2 / np.linalg.norm(r - point)

        out[(start + k) % 3] = scipy.integrate.dblquad(
            integrand, 0, 1, 0, 1, epsabs=0, epsrel=1e-11
        )[0]
    return out


def test_needle_triangle_angles():
    edges = [np.roll(NEEDLE, -k, axis=0) for k in range(3)]
    angles = [
        np.degrees(np.arccos((b - a) @ (c - a) / np.linalg.norm(b - a) / np.linalg.norm(c - a)))
        for a, b, c in edges
    ]
    assert np.allclose(angles, [173.77, 4.18, 2.05], atol=0.01)


@pytest.mark.parametrize("corner", [0, 1, 2])
def test_singular_integral_on_a_needle_triangle(corner):
    # the collocation node is a corner of the triangle (the 1/R singularity is integrable)
    exact = reference_single_layer(NEEDLE[corner], NEEDLE)
    ours = linear_single_layer(NEEDLE[corner][None], NEEDLE, np.array([[0, 1, 2]]))[0, 0]
    assert np.allclose(ours, exact, rtol=1e-7, atol=0), (ours, exact)


@pytest.mark.parametrize(
    "offset", [[0.0095, 0.0, 0.0006], [0.0095, -0.0006, 0.0], [0.008, 0.005, 0.0006]]
)
def test_near_singular_integral(offset):
    # 0.6 mm above an edge's midpoint, 0.6 mm beside it in the plane, 0.6 mm above the inside
    point = np.array(offset)
    exact = reference_single_layer(point, PLAIN)
    ours = linear_single_layer(point[None], PLAIN, np.array([[0, 1, 2]]))[0, 0]
    assert np.allclose(ours, exact, rtol=1e-7, atol=0), (ours, exact)


def test_single_layer_far_field_and_sum():
    # far away the hats integrate to area / 3 / distance; the three sum to ∫ 1/R dS
    point = np.array([[0.4, -0.3, 1.2]])
    ours = linear_single_layer(point, PLAIN, np.array([[0, 1, 2]]))[0, 0]
    exact = reference_single_layer(point[0], PLAIN)
    assert np.allclose(ours, exact, rtol=1e-9, atol=0)
    area = 0.5 * np.linalg.norm(np.cross(PLAIN[1] - PLAIN[0], PLAIN[2] - PLAIN[0]))
    distance = np.linalg.norm(point[0] - PLAIN.mean(axis=0))
    assert ours.sum() == pytest.approx(area / distance, rel=1e-3)


@pytest.mark.parametrize("off_line", [0.0, 1e-10, 1e-7])
def test_single_layer_on_and_near_an_edges_line(off_line):
    # beyond the end of an edge, on its line or just off it: ln(R + l) would take log(0)
    along = (PLAIN[1] - PLAIN[0]) / np.linalg.norm(PLAIN[1] - PLAIN[0])
    point = PLAIN[0] - 0.005 * along + off_line * np.array([0.0, 0.6, 0.8])
    exact = reference_single_layer(point, PLAIN)
    ours = linear_single_layer(point[None], PLAIN, np.array([[0, 1, 2]]))[0, 0]
    assert np.allclose(ours, exact, rtol=1e-8, atol=0), (ours, exact)
