"""MatrixOperator: the scipy operators (eqs. 15, 17-18) and a dense R applied to backend tensors.

The operators themselves are verified in test_operators.py; here the tensor path must equal
the scipy path, carry gradients (the transpose product) and keep the convergence order.
"""

import numpy as np
import pytest
import scipy.sparse as sp
import trimesh

from pinn_inverse import backend
from pinn_inverse.operators import mesh_laplacian, temporal_derivative

RADIUS = 2.0


def icosphere(subdivisions):
    mesh = trimesh.creation.icosphere(subdivisions=subdivisions, radius=RADIUS)
    return np.asarray(mesh.vertices), np.asarray(mesh.faces)


def apply(operator, y):
    """``operator`` on ``y`` as a backend tensor, back as numpy."""
    return backend.to_numpy(operator(backend.as_tensor(y)))


def gradient(operator, y, weights):
    """∂/∂y of Σ weights · operator(y), by the backend's autodiff."""
    if backend.backend_name() == "tensorflow":
        import tensorflow as tf

        y = tf.Variable(backend.as_tensor(y))
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(backend.as_tensor(weights) * operator(y))
        return tape.gradient(loss, y).numpy()

    y = backend.as_tensor(y).requires_grad_()
    (backend.as_tensor(weights) * operator(y)).sum().backward()
    return y.grad.numpy()


def matrices():
    vertices, faces = icosphere(2)
    rng = np.random.default_rng(0)
    return {
        "fdm": mesh_laplacian(vertices, faces, "fdm"),
        "cotangent": mesh_laplacian(vertices, faces, "cotangent"),
        "temporal": temporal_derivative(40, 0.025),
        "dense R": rng.standard_normal((12, len(vertices))),
    }


@pytest.mark.network
@pytest.mark.parametrize("name", ["fdm", "cotangent", "temporal", "dense R"])
def test_tensor_product_and_its_gradient_match_scipy(name):
    from pinn_inverse.operators import MatrixOperator

    matrix = matrices()[name]
    op = MatrixOperator(matrix)
    assert op.sparse == sp.issparse(matrix)
    rng = np.random.default_rng(1)
    y = rng.standard_normal((matrix.shape[1], 3))
    exact = matrix @ y
    scale = np.abs(exact).max()
    np.testing.assert_allclose(apply(op, y), exact, atol=1e-5 * scale)
    np.testing.assert_allclose(op(y), exact, rtol=1e-12)  # numpy in, numpy out
    weights = rng.standard_normal((matrix.shape[0], 3))
    expected = matrix.T @ weights
    np.testing.assert_allclose(
        gradient(op, y, weights), expected, atol=1e-5 * np.abs(expected).max()
    )


@pytest.mark.network
def test_temporal_stencil_keeps_fourth_order_on_tensors():
    from pinn_inverse.operators import MatrixOperator

    # sizes where the truncation error (not float32 round-off) dominates
    errors, scipy_errors = [], []
    for n in (41, 81, 161):
        t = np.linspace(0.0, 1.0, n)
        D = temporal_derivative(n, t[1] - t[0])
        u = np.sin(12 * t)[:, None]
        errors.append(np.abs(apply(MatrixOperator(D), u)[:, 0] - 12 * np.cos(12 * t)).max())
        scipy_errors.append(np.abs(D @ u[:, 0] - 12 * np.cos(12 * t)).max())
    rates = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(rates > 3.7), rates
    np.testing.assert_allclose(errors, scipy_errors, rtol=0.1)  # float32 round-off at n = 161


@pytest.mark.network
def test_mesh_laplacian_on_tensors_gives_the_spherical_harmonic_eigenvalue():
    # Δ_S Y = −l(l+1)/R² Y for a degree-2 harmonic; the cotangent Laplacian converges at first
    # order (test_operators.py), and the tensor path must follow the scipy path exactly
    from pinn_inverse.operators import MatrixOperator

    errors = []
    for subdivisions in (2, 3, 4):
        v, f = icosphere(subdivisions)
        x, y, z = v.T
        harmonic = (x * y + (3 * z**2 - RADIUS**2) / 4)[:, None]
        L = mesh_laplacian(v, f, "cotangent")
        exact = -6 / RADIUS**2 * harmonic
        tensor = apply(MatrixOperator(L), harmonic)
        # float32 round-off of a sum of large weights that cancel: relative to |L| |u|
        bound = 1e-6 * (abs(L) @ np.abs(harmonic)).max()
        np.testing.assert_allclose(tensor, L @ harmonic, atol=bound)
        errors.append(np.linalg.norm(tensor - exact) / np.linalg.norm(exact))
    assert np.all(np.array(errors[1:]) / np.array(errors[:-1]) < 0.6), errors
    assert errors[-1] < 0.012, errors


@pytest.mark.network
def test_matrix_operator_rejects_bad_input():
    from pinn_inverse.operators import MatrixOperator

    with pytest.raises(ValueError, match="2-D"):
        MatrixOperator(np.ones(3))
    with pytest.raises(ValueError, match="NaN"):
        MatrixOperator(np.array([[1.0, np.nan]]))
    with pytest.raises(TypeError, match="scipy sparse matrix or a numeric array"):
        MatrixOperator("R")
    op = MatrixOperator(sp.eye(4, format="csr"))
    with pytest.raises(ValueError, match="shape \\(4, k\\)"):
        op(np.ones((3, 1)))
    with pytest.raises(ValueError, match="3 rows but the matrix has 4 columns"):
        op(backend.as_tensor(np.ones((3, 1))))
