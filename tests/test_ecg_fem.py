"""P2 FEM reference for the heart-to-torso problem, and the BEM's convergence to it.

The BEM (linear elements, exact integrals) interpolates the heart potential linearly, so its
error on a fixed polyhedron is O(h²): splitting every triangle into four (h/2) must cut it
about fourfold. That is measured against the FEM on the same polyhedron, not against the
smooth-sphere series, whose faceting error would cancel part of the BEM's.
"""

import numpy as np
import pytest
import trimesh

from pinn_inverse.ecg.bem import transfer_matrix
from pinn_inverse.ecg.fem import fem_torso_potentials, volume_mesh
from pinn_inverse.ecg.geometry import check_nested, check_surface, enclosed_volume, subdivide

A_RADIUS, B_RADIUS = 0.05, 0.1  # m


def sphere(radius, subdivisions):
    mesh = trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius)
    return check_surface(np.asarray(mesh.vertices), np.asarray(mesh.faces))


def split(geometry, levels):
    return check_nested(subdivide(geometry.heart, levels), subdivide(geometry.torso, levels))


def fields(points):
    """Smooth heart potentials (V): harmonics of degree 1, 2, 3 and a wave front."""
    x, y, z = points.T / A_RADIUS
    r2 = x**2 + y**2 + z**2
    return np.stack([z, x * y, z * (5 * z**2 - 3 * r2), np.tanh(x + 0.5 * z)], axis=1)


def relative_errors(estimate, reference):
    """Per field: ‖estimate − reference‖ / ‖reference − mean‖ over the torso nodes."""
    spread = np.linalg.norm(reference - reference.mean(axis=0), axis=0)
    return np.linalg.norm(estimate - reference, axis=0) / spread


def g(degree, a=A_RADIUS, b=B_RADIUS):
    """Heart-to-torso gain of a degree-l harmonic between concentric smooth spheres."""
    return (
        (2 * degree + 1)
        * a ** (degree + 1)
        * b**degree
        / ((degree + 1) * a ** (2 * degree + 1) + degree * b ** (2 * degree + 1))
    )


@pytest.fixture(scope="module")
def polyhedron():
    """42-node icospheres, and the FEM on them with every triangle split 0…3 times."""
    geometry = check_nested(sphere(A_RADIUS, 1), sphere(B_RADIUS, 1))
    n = geometry.torso.n_nodes
    fem = [fem_torso_potentials(split(geometry, level), fields)[0][:n] for level in range(4)]
    return geometry, fem


def test_fem_converges_on_a_fixed_polyhedron(polyhedron):
    _, fem = polyhedron
    steps = [relative_errors(fem[k], fem[k + 1]) for k in range(3)]
    # h halved: successive differences fall 2.3-3.5 times (measured; the heart's convex
    # edges are re-entrant corners of the volume, where the potential is not smooth)
    assert np.all(steps[1] < steps[0] / 2.2) and np.all(steps[2] < steps[1] / 2.2), steps
    assert np.all(steps[2] < 0.016), steps


def test_bem_error_falls_fourfold_on_a_fixed_polyhedron(polyhedron):
    geometry, fem = polyhedron
    n = geometry.torso.n_nodes
    errors = []
    for level in range(3):
        refined = split(geometry, level)
        errors.append(
            relative_errors((transfer_matrix(refined) @ fields(refined.heart.vertices))[:n], fem[3])
        )
    ratios = [errors[k] / errors[k + 1] for k in range(2)]
    # O(h²): about 4 per split (the finest FEM's own error, ~0.1 %, lowers the last ratio)
    assert np.all(np.concatenate(ratios) > 2.7), (errors, ratios)
    assert np.median(np.concatenate(ratios)) > 3.6 and np.all(ratios[1] > 3.5), (errors, ratios)
    assert np.all(errors[2] < 0.01), errors


def test_fem_gives_the_concentric_sphere_series():
    # on 642-node spheres the faceting error is small: the FEM must give g_l (independent of
    # the BEM); the error must shrink from 162-node spheres
    def gains(subdivisions):
        geometry = check_nested(sphere(A_RADIUS, subdivisions), sphere(B_RADIUS, subdivisions))
        torso, _ = fem_torso_potentials(geometry, fields)
        p = geometry.torso.vertices
        out = []
        for degree in (1, 2):
            expected = g(degree) * fields(p)[:, degree - 1] * (A_RADIUS / B_RADIUS) ** degree
            out.append(torso[:, degree - 1] @ expected / (expected @ expected))
        return np.array(out)

    coarse, fine = gains(2), gains(3)
    assert np.all(np.abs(fine - 1) < 0.01), fine
    assert np.all(np.abs(fine - 1) < np.abs(coarse - 1)), (coarse, fine)


def test_volume_mesh_keeps_the_surfaces():
    geometry = check_nested(sphere(A_RADIUS, 1), sphere(B_RADIUS, 1))
    volume = volume_mesh(geometry)
    nodes = volume.mesh.p.T
    assert np.array_equal(nodes[: volume.n_torso], geometry.torso.vertices)
    assert len(volume.heart_facets) == len(geometry.heart.faces)
    # the tetrahedra fill the shell exactly: the outer minus the inner polyhedron's volume
    shell = enclosed_volume(geometry.torso.vertices, geometry.torso.faces) - enclosed_volume(
        geometry.heart.vertices, geometry.heart.faces
    )
    a, b, c, d = (nodes[volume.mesh.t[k]] for k in range(4))
    tets = np.abs(np.einsum("ij,ij->i", b - a, np.cross(c - a, d - a))) / 6
    assert tets.sum() == pytest.approx(shell, rel=1e-12)


def test_constant_heart_potential_gives_the_same_constant():
    geometry = check_nested(sphere(A_RADIUS, 1), sphere(B_RADIUS, 1))
    torso, info = fem_torso_potentials(geometry, lambda p: np.full(len(p), 2.5))
    assert torso.shape == (geometry.torso.n_nodes,)
    assert np.allclose(torso, 2.5, rtol=1e-8) and info["residual"] < 1e-9


def test_bad_input_is_refused():
    geometry = check_nested(sphere(A_RADIUS, 1), sphere(B_RADIUS, 1))
    with pytest.raises(TypeError, match="function of positions"):
        fem_torso_potentials(geometry, np.ones(42))
    with pytest.raises(ValueError, match="heart_potential"):
        fem_torso_potentials(geometry, lambda p: np.ones(3))
    with pytest.raises(TypeError, match="Geometry"):
        volume_mesh(geometry.heart)
    with pytest.raises(ValueError, match="radius_edge_ratio"):
        volume_mesh(geometry, radius_edge_ratio=0.9)
