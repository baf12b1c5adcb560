"""Physics verification of the EIT mesh, complete electrode model and current patterns."""

import numpy as np
import pytest

from pinn_inverse.eit import patterns
from pinn_inverse.eit.fem import ForwardModel, shape_gradients, stiffness_matrix
from pinn_inverse.eit.mesh import disk_mesh, make_mesh


@pytest.fixture(scope="module")
def model():
    return ForwardModel(disk_mesh(16, h=0.1), z=0.01)


def random_sigma(model, seed=0):
    return 1.0 + 5.0 * np.random.default_rng(seed).random(model.n_elements)


def test_mesh_electrode_ends_are_nodes_with_requested_width():
    width = 0.15
    mesh = disk_mesh(16, electrode_width=width, h=0.05)
    for edges in mesh.electrodes:
        ends = mesh.nodes[[edges[0, 0], edges[-1, 1]]]
        np.testing.assert_allclose(np.linalg.norm(ends, axis=1), 1.0, rtol=1e-12)
        # the arc between the two end nodes is the requested width
        arc = np.angle((ends[1, 0] + 1j * ends[1, 1]) / (ends[0, 0] + 1j * ends[0, 1]))
        assert arc == pytest.approx(width, rel=1e-12)
    assert np.all(mesh.areas > 0)
    assert mesh.areas.sum() == pytest.approx(np.pi, rel=5e-3)


@pytest.mark.parametrize("L", [8, 16, 32])
def test_mesh_any_number_of_electrodes(L):
    mesh = disk_mesh(L, h=0.1)
    assert mesh.n_electrodes == L
    np.testing.assert_allclose(mesh.electrode_lengths(), np.pi / L, rtol=2e-3)


def test_mesh_rejects_overlap_and_misfit():
    with pytest.raises(ValueError, match="do not fit"):
        disk_mesh(16, electrode_width=0.5)
    with pytest.raises(ValueError, match="overlap"):
        disk_mesh(4, electrode_width=0.2, angles=[0, 0.1, 2, 4])
    mesh = disk_mesh(4, h=0.2)
    with pytest.raises(ValueError, match="overlap"):
        make_mesh(mesh.nodes, mesh.triangles, [mesh.electrodes[0]] * 2, 1.0)
    with pytest.raises(ValueError, match="not on the mesh boundary"):
        make_mesh(mesh.nodes, mesh.triangles, [mesh.triangles[:1, :2]], 1.0)


def test_shape_gradients_reproduce_linear_fields(model):
    mesh = model.mesh
    u = 3.0 * mesh.nodes[:, 0] - 2.0 * mesh.nodes[:, 1] + 0.5
    grad = np.einsum("mkd,mk->md", shape_gradients(mesh), u[mesh.triangles])
    np.testing.assert_allclose(grad, np.tile([3.0, -2.0], (len(grad), 1)), atol=1e-10)


def test_current_conservation(model):
    """The current leaving each electrode through its contact equals the injected current."""
    sigma = random_sigma(model)
    currents = patterns.trigonometric_set(16)
    sol = model.solve(sigma, currents)
    mesh = model.mesh
    for ell, edges in enumerate(mesh.electrodes):
        length = np.linalg.norm(mesh.nodes[edges[:, 1]] - mesh.nodes[edges[:, 0]], axis=1)
        u_mean = 0.5 * (sol.u[edges[:, 0]] + sol.u[edges[:, 1]])
        # I_l = ∫_{e_l} (U_l − u) / z_l ds, exact for linear u on each edge
        flux = ((sol.U[ell] - u_mean) * length[:, None]).sum(axis=0) / model.z[ell]
        np.testing.assert_allclose(flux, currents[ell], atol=1e-10 * np.abs(currents).max())
    np.testing.assert_allclose(sol.U.sum(axis=0), 0.0, atol=1e-12)


def test_reciprocity(model):
    """Transfer impedances are symmetric: swapping drive and measurement pairs changes nothing."""
    sigma = random_sigma(model, seed=1)
    A = patterns.adjacent_injection(16)
    Z = model.forward(sigma, A, A).reshape(16, 16)
    np.testing.assert_allclose(Z, Z.T, rtol=1e-10, atol=1e-12 * np.abs(Z).max())
    # a wrong-signed electrode block would break positivity of the dissipated power
    assert np.all(np.diag(Z) > 0)


def test_homogeneous_scaling(model):
    """Doubling σ and halving z halves every voltage (CEM scale invariance)."""
    currents = patterns.adjacent_injection(16)
    meas = patterns.adjacent_differences(16)
    v1 = model.forward(1.0, currents, meas)
    v2 = ForwardModel(model.mesh, z=model.z / 2).forward(2.0, currents, meas)
    np.testing.assert_allclose(v2, v1 / 2, rtol=1e-10)


def test_jacobian_matches_finite_differences(model):
    sigma = random_sigma(model, seed=2)
    currents = patterns.trigonometric_set(16)
    meas = patterns.adjacent_differences(16)
    V, J = model.forward(sigma, currents, meas, jacobian=True)
    step = 1e-6 * np.random.default_rng(3).standard_normal(model.n_elements)
    dV = model.forward(sigma + step, currents, meas) - model.forward(sigma - step, currents, meas)
    np.testing.assert_allclose(J @ step, dV / 2, rtol=1e-5, atol=1e-6 * np.abs(dV).max())


def _analytic_error(h, k=2):
    """Max interior error against u = r^k cos(kθ) / k for Neumann data cos(kθ) on the unit disk.

    L = 1/h electrodes, each covering half of its sector, inject the sector integral of
    cos(kθ); the boundary mismatch has frequencies ≥ L and decays like r^L inside, so the
    error at r ≤ 0.8 measures the finite-element error.
    """
    L = 2 * int(round(0.5 / h))
    mesh = disk_mesh(L, h=h)
    theta = 2 * np.pi * np.arange(L) / L
    currents = (np.sin(k * (theta + np.pi / L)) - np.sin(k * (theta - np.pi / L))) / k
    sol = ForwardModel(mesh, z=0.1).solve(1.0, currents - currents.mean())
    r = np.linalg.norm(mesh.nodes, axis=1)
    exact = r**k * np.cos(k * np.arctan2(mesh.nodes[:, 1], mesh.nodes[:, 0])) / k
    inside = r <= 0.8
    error = sol.u[inside, 0] - exact[inside]
    return np.abs(error - error.mean()).max()


def test_convergence_to_analytic_solution():
    hs = np.array([0.1, 0.05, 0.025])
    errors = np.array([_analytic_error(h) for h in hs])
    rates = np.log(errors[:-1] / errors[1:]) / np.log(hs[:-1] / hs[1:])
    # P1 elements on a polygonal disk: second order in the max norm away from the boundary
    assert np.all(rates > 1.7), rates
    assert errors[-1] < 5e-3


def test_agrees_with_pyeit_point_electrodes(model):
    """Same mesh, same σ, point electrodes on boundary nodes: pyEIT and our stiffness agree."""
    pytest.importorskip("pyeit")
    from pyeit.eit.fem import Forward
    from pyeit.mesh import PyEITMesh

    mesh = model.mesh
    sigma = random_sigma(model, seed=4)
    el_pos = np.array([edges[len(edges) // 2, 0] for edges in mesh.electrodes])
    ref = int(np.argmin(np.linalg.norm(mesh.nodes, axis=1)))
    pyeit_mesh = PyEITMesh(
        node=mesh.nodes, element=mesh.triangles, perm=sigma, el_pos=el_pos, ref_node=ref
    )
    expected = Forward(pyeit_mesh).solve(np.array([0, 5]))
    K = stiffness_matrix(mesh, sigma).tolil()
    rhs = np.zeros(len(mesh.nodes))
    rhs[el_pos[[0, 5]]] = [1.0, -1.0]
    K[ref, :] = 0
    K[:, ref] = 0
    K[ref, ref] = 1.0
    from scipy.sparse.linalg import spsolve

    ours = spsolve(K.tocsc(), rhs)
    np.testing.assert_allclose(ours, np.real(expected), rtol=1e-8, atol=1e-10)


def test_patterns():
    g = patterns.trigonometric_pattern(16)
    k = np.arange(1, 17)
    np.testing.assert_allclose(g[:, 0], np.sin(2 * np.pi / 16 * k) / np.sqrt(2 * np.pi), atol=1e-15)
    full = patterns.trigonometric_set(16)
    assert full.shape == (16, 15)
    assert np.linalg.matrix_rank(full) == 15
    np.testing.assert_allclose(full.sum(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(patterns.adjacent_injection(8).sum(axis=0), 0)
    np.testing.assert_allclose(patterns.electrode_voltages(8).sum(axis=0), 0, atol=1e-15)


def test_bad_input_is_rejected(model):
    currents = patterns.trigonometric_pattern(16)
    meas = patterns.adjacent_differences(16)
    with pytest.raises(ValueError, match="strictly positive"):
        model.forward(np.zeros(model.n_elements), currents, meas)
    sigma = np.ones(model.n_elements)
    sigma[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.forward(sigma, currents, meas)
    with pytest.raises(ValueError, match="one value per element"):
        model.forward(np.ones(5), currents, meas)
    with pytest.raises(ValueError, match="shape"):
        model.forward(1.0, currents[:8], meas)
    with pytest.raises(ValueError, match="sum to zero"):
        model.forward(1.0, np.eye(16)[:, :1], meas)
    with pytest.raises(ValueError, match="ground"):
        model.forward(1.0, currents, np.eye(16))


def test_stiffness_agrees_with_scikit_fem(model):
    """An independent assembly (scikit-fem, P1 with a P0 conductivity) gives the same K."""
    skfem = pytest.importorskip("skfem")
    from skfem.helpers import dot, grad

    mesh = model.mesh
    sigma = random_sigma(model, seed=5)
    basis = skfem.Basis(skfem.MeshTri(mesh.nodes.T, mesh.triangles.T), skfem.ElementTriP1())
    conductivity = basis.with_element(skfem.ElementTriP0()).interpolate(sigma)

    @skfem.BilinearForm
    def laplace(u, v, w):
        return w["s"] * dot(grad(u), grad(v))

    expected = skfem.asm(laplace, basis, s=conductivity)
    difference = abs(stiffness_matrix(mesh, sigma) - expected).max()
    assert difference < 1e-12 * abs(expected).max()
