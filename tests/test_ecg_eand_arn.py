"""EAND-ARN: residuals on analytic fields for each derivative scheme, the structured batches,
the adaptive ResNet, training, resume and bad input."""

import dataclasses

import deepxde as dde
import numpy as np
import pytest
import trimesh
from scipy.integrate import solve_ivp

from pinn_inverse import backend
from pinn_inverse.ecg import EcgData, aliev_panfilov, transfer_matrix
from pinn_inverse.ecg.aliev_panfilov import D_DEFAULT, reaction
from pinn_inverse.ecg.geometry import Geometry, check_surface
from pinn_inverse.operators import mesh_laplacian, temporal_derivative

# a small heart: D / r² = 0.4 per time unit, so that diffusion is visible in the residuals
HEART_RADIUS = 0.005


def sphere(subdivisions, radius):
    mesh = trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius)
    return check_surface(np.asarray(mesh.vertices), np.asarray(mesh.faces))


def harmonic(x):
    """A homogeneous harmonic polynomial of degree 2 (Δ = 0 in 3D) of the nondimensional
    coordinates: on the sphere, Δ_S = −6/r² times it and n·∇ = 2/r̃ times it."""
    x, y, z = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    return x * y + (2 * z**2 - x**2 - y**2) / 4


def ecg_data(subdivisions=2, n_frames=25, duration=6.0, sigma=0.0):
    """A tiny EcgData: a simulated beat on a small sphere inside a spherical torso."""
    geometry = Geometry(sphere(subdivisions, HEART_RADIUS), sphere(1, 0.05))
    sim = aliev_panfilov(
        geometry.heart, 0, duration=duration, n_frames=n_frames, pacing_radius=0.002
    )
    R = transfer_matrix(geometry)
    y = R @ sim.u + sigma * np.random.default_rng(0).standard_normal((len(R), n_frames))
    return EcgData(geometry, R, sim.u, sim.v, sim.t, y, sigma, 0)


@pytest.fixture(scope="module")
def ecg():
    return ecg_data()


def quick(**changes):
    # the analytic fields below are written in the paper's input scaling (positions in heart
    # radii, t in [−1, 1]): input_scale 1 unless a test says otherwise; the default's 2 gives
    # the same residuals (test_input_scale_multiplies_the_inputs_and_keeps_the_physics)
    from pinn_inverse.ecg.eand_arn import PRESETS

    return PRESETS["default"].quick().replace(**{"input_scale": 1.0, **changes})


# --- physics -------------------------------------------------------------------------------


def test_residuals_are_eqs_6_and_7_with_the_paper_parameters():
    # an independent transcription of eqs. (6)-(7): a = 0.1, k = 8, e0 = 0.002, μ1 = μ2 = 0.3
    from pinn_inverse.ecg.eand_arn import residuals

    rng = np.random.default_rng(0)
    u, v, du, dv, lap = rng.uniform(0.0, 1.0, (5, 50))
    r_u, r_v = residuals(u, v, du, dv, lap, D=2.0)
    np.testing.assert_allclose(r_u, du - 2.0 * lap - 8 * u * (1 - u) * (u - 0.1) + u * v)
    xi = 0.002 + 0.3 * v / (u + 0.3)
    np.testing.assert_allclose(r_v, dv - xi * (-v - 8 * u * (u - 0.1 - 1)))
    # the cleared form: eq. (7) times (u + μ2)/μ2 wherever eq. (7) is finite, and finite at and
    # beyond the pole u = −μ2 = −0.3, where eq. (7) is not
    _, cleared = residuals(u, v, du, dv, lap, D=2.0, r_v="cleared")
    np.testing.assert_allclose(cleared, (u + 0.3) / 0.3 * r_v)
    pole = np.array([-0.3, -0.5])
    _, at_pole = residuals(pole, v[:2], du[:2], dv[:2], lap[:2], D=2.0, r_v="cleared")
    # (u + μ2) r_v / μ2 = (u + μ2)(dv − e0 w)/μ2 − v w, w = −v − k u (u − a − 1)
    w = -v[:2] - 8 * pole * (pole - 1.1)
    np.testing.assert_allclose(at_pole, (pole + 0.3) * (dv[:2] - 0.002 * w) / 0.3 - v[:2] * w)
    with pytest.raises(ValueError, match="unknown r_v"):
        residuals(u, v, du, dv, lap, D=2.0, r_v="eq8")


def test_vertex_normals_and_curvature_on_spheres_and_an_ellipsoid():
    from pinn_inverse.ecg.eand_arn import total_curvature, vertex_normals

    heart = sphere(2, HEART_RADIUS)
    normals = vertex_normals(heart.vertices, heart.faces)
    np.testing.assert_allclose(normals, heart.vertices / HEART_RADIUS, atol=1e-9)
    kappa = total_curvature(heart.vertices, heart.faces, normals)
    np.testing.assert_allclose(kappa, 2 / HEART_RADIUS, rtol=1e-9)
    # a stretched icosphere on the ellipsoid x²/a² + y²/b² + z²/c² = 1 (κ and n in closed
    # form from the implicit function): the normals converge at first order; the curvature
    # keeps a bias of about 8 % RMS (edge directions are not uniform around a node there)
    axes = np.array([1.0, 1.5, 2.0])
    errors = []
    for subdivisions in (3, 4):
        mesh = sphere(subdivisions, 1.0)
        vertices = mesh.vertices * axes
        grad, hess = 2 * vertices / axes**2, 2 / axes**2
        norm = np.linalg.norm(grad, axis=1)
        exact = (norm**2 * hess.sum() - np.einsum("ij,j,ij->i", grad, hess, grad)) / norm**3
        normals = vertex_normals(vertices, mesh.faces)
        kappa = total_curvature(vertices, mesh.faces, normals)
        errors.append(
            [
                np.abs(normals - grad / norm[:, None]).max(),
                np.sqrt(np.mean((kappa / exact - 1) ** 2)),
            ]
        )
    errors = np.array(errors)
    assert errors[1, 0] < 0.6 * errors[0, 0] and errors[1, 0] < 0.006, errors
    assert np.all(errors[:, 1] < 0.09), errors


def field(x):
    """u = Y(x̃) p(t̃), v = ½ + x̃ q(t̃): p, q of degree ≤ 4 (the stencils are exact on them)."""
    t = x[:, 3:4]
    u = harmonic(x) * (0.5 + 0.3 * t - 0.2 * t**2 + 0.1 * t**4)
    v = 0.5 + 0.2 * x[:, 0:1] * (1.0 + t**3)
    return backend.concat([u, v], axis=1)


def expected_residuals(problem, x, laplacian_u):
    """r_u, r_v of :func:`field` at the points x (numpy), with ``laplacian_u`` (1/m²)."""
    t, T = x[:, 3:4], problem.scales.time
    u = harmonic(x) * (0.5 + 0.3 * t - 0.2 * t**2 + 0.1 * t**4)
    v = 0.5 + 0.2 * x[:, 0:1] * (1.0 + t**3)
    du = harmonic(x) * (0.3 - 0.4 * t + 0.4 * t**3) / T
    dv = 0.2 * x[:, 0:1] * 3 * t**2 / T
    react_u, react_v = reaction(u, v)
    return du - D_DEFAULT * laplacian_u - react_u, dv - react_v


def scheme_residuals(problem, normals=None, f=field):
    """The problem's scheme on ``f`` (:func:`field`) at its current batch's centres: numpy
    arrays (N, n_centres) of r_u, r_v (and r_b), and the centres' inputs (N n_centres, 4)."""
    from pinn_inverse.ecg.eand_arn import Batch

    data, scheme = problem.data, problem.scheme
    stencil = backend.as_tensor(data.train_aux)

    def operator(x, y):
        return scheme.residuals(Batch(x, y, data.n_nodes, stencil))

    out = backend.apply_operator(operator, f, data.train_x)
    centres = data.train_x[: data.n_nodes * len(data.centres)]
    return out, centres


def by_node(values, n_nodes):
    """Point values (N n_columns, 1) laid out as (N, n_columns)."""
    return values.reshape(-1, n_nodes).T


@pytest.mark.network
@pytest.mark.parametrize("derivatives", ["nd", "nd_space"])
def test_nd_residuals_of_an_analytic_field(ecg, derivatives):
    # ND in space: the residual must use the mesh Laplacian of eq. (15) on the nodal values
    # (compared with scipy's product) and the exact time derivative (AD, or the stencils,
    # exact on quartics), in the simulator's units
    from pinn_inverse.ecg.eand_arn import eand_arn

    problem = eand_arn(ecg, derivatives=derivatives, preset=quick())
    (r_u, r_v), x = scheme_residuals(problem)
    n = problem.data.n_nodes
    L = mesh_laplacian(ecg.geometry.heart.vertices, ecg.geometry.heart.faces, "fdm")
    u = by_node(
        harmonic(x) * (0.5 + 0.3 * x[:, 3:4] - 0.2 * x[:, 3:4] ** 2 + 0.1 * x[:, 3:4] ** 4), n
    )
    lap = (L @ u).T.reshape(-1, 1)
    ref_u, ref_v = expected_residuals(problem, x, lap)
    scale = np.abs(ref_u).max()
    assert np.abs(D_DEFAULT * lap).max() > 0.2 * scale  # the diffusion term matters here
    np.testing.assert_allclose(r_u, by_node(ref_u, n), atol=1e-4 * scale)
    np.testing.assert_allclose(r_v, by_node(ref_v, n), atol=1e-4 * np.abs(ref_v).max())


@pytest.mark.network
def test_ad_residuals_use_the_surface_laplacian_not_the_3d_one(ecg):
    # Y is harmonic in 3D (Δ Y = 0) but Δ_S Y = −6/r² Y on the sphere: the projected AD
    # Laplacian must give the latter (exactly with exact normals and κ = 2/r, to the mesh
    # normals' and curvature's accuracy with the problem's own)
    from pinn_inverse.ecg.eand_arn import AD, ep_dl

    problem = ep_dl(ecg, preset=quick())
    radial = ecg.geometry.heart.vertices / HEART_RADIUS
    exact = AD(D_DEFAULT, problem.scales, radial, np.full(len(radial), 2 / HEART_RADIUS))
    n = problem.data.n_nodes
    for scheme in (exact, problem.scheme):  # mesh normals and κ are exact on a sphere
        problem.scheme = scheme
        (r_u, r_v, r_b), x = scheme_residuals(problem)
        u = harmonic(x) * (0.5 + 0.3 * x[:, 3:4] - 0.2 * x[:, 3:4] ** 2 + 0.1 * x[:, 3:4] ** 4)
        ref_u, ref_v = expected_residuals(problem, x, -6 / HEART_RADIUS**2 * u)
        diffusion = np.abs(D_DEFAULT * 6 / HEART_RADIUS**2 * u).max()
        np.testing.assert_allclose(r_u, by_node(ref_u, n), atol=1e-4 * diffusion)
        np.testing.assert_allclose(r_v, by_node(ref_v, n), atol=1e-4 * np.abs(ref_v).max())
        # r_b = n·∇û = 2 Y p / r̃ on the unit sphere (Y homogeneous of degree 2), per length
        np.testing.assert_allclose(r_b, by_node(2 * u, n), atol=1e-4 * np.abs(u).max())


@pytest.mark.network
@pytest.mark.parametrize("r_v", ["eq7", "cleared"])
def test_stnd_vanishes_on_the_single_cell_ode_solution(r_v):
    # u, v uniform in space and solving eqs. (1)-(2) without diffusion: the STND residual is
    # the stencils' error only (4th order, one-sided at the ends)
    from pinn_inverse.ecg.eand_arn import Batch, eand_arn

    t = np.linspace(0.0, 20.0, 401)
    sol = solve_ivp(
        lambda _, y: np.array(reaction(*y)), (0, 20), [0.3, 0.0], t_eval=t, rtol=1e-11, atol=1e-12
    )
    heart = sphere(1, HEART_RADIUS)
    u, v = np.tile(sol.y[0], (heart.n_nodes, 1)), np.tile(sol.y[1], (heart.n_nodes, 1))
    R = np.ones((3, heart.n_nodes)) / heart.n_nodes
    data = EcgData(Geometry(heart, sphere(1, 0.05)), R, u, v, t, R @ u, 0.0, 0)
    problem = eand_arn(data, preset=quick().replace(r_v=r_v))
    batch = problem.data
    batch.set_centres(np.arange(0, len(t), 4))  # the upstroke included
    columns = batch.train_x[:, 3]  # the frame of each point, by its network time input
    frames = np.rint((columns + 1) * problem.scales.time / (t[1] - t[0])).astype(int)
    values = np.column_stack([sol.y[0][frames], sol.y[1][frames]])
    out = Batch(
        backend.as_tensor(batch.train_x),
        backend.as_tensor(values),
        heart.n_nodes,
        backend.as_tensor(batch.train_aux),
    )
    r_u, r_v = (backend.to_numpy(r) for r in problem.scheme.residuals(out))
    du = np.abs(reaction(sol.y[0], sol.y[1])[0]).max()
    assert np.abs(r_u).max() < 0.01 * du and np.abs(r_v).max() < 0.01 * du
    # u run backwards in time is far from a solution (its upstroke descends)
    values[:, 0] = sol.y[0][len(t) - 1 - frames]
    shifted = Batch(out.inputs, backend.as_tensor(values), heart.n_nodes, out.stencil)
    assert np.abs(backend.to_numpy(problem.scheme.residuals(shifted)[0])).max() > 0.1 * du


@pytest.mark.network
def test_data_loss_vanishes_on_the_true_potentials(ecg):
    from pinn_inverse.ecg.eand_arn import eand_arn

    problem = eand_arn(ecg, preset=quick())
    data = problem.data
    for x, targets, stencil in (data.train_next_batch(), data.test()):
        frames = np.rint((x[:: data.n_nodes, 3] + 1) * problem.scales.time / ecg.t[1]).astype(int)
        values = np.column_stack([ecg.u[:, frames].T.ravel(), ecg.v[:, frames].T.ravel()])

        def loss(values, targets=targets, stencil=stencil):
            problem.net.auxiliary_vars = backend.as_tensor(stencil)
            terms = data.losses(
                backend.as_tensor(targets), backend.as_tensor(values), None, None, problem.model
            )
            return float(backend.to_numpy(terms[0]))

        assert loss(values) < 1e-10
        # û = 1.01 u misfits by 0.01 R u, relative to the data's mean square (the scale)
        expected = 1e-4 * np.mean((ecg.R @ ecg.u[:, frames]) ** 2) / problem.scales.potential**2
        assert loss(values * np.array([1.01, 1.0])) == pytest.approx(expected, rel=1e-3)


# --- the mesh × time data -----------------------------------------------------------------


def make_data(seed=0, n_slices=5, n_frames=30, stencil=True):
    from pinn_inverse.ecg.eand_arn import MeshTimeData

    nodes = np.random.default_rng(0).standard_normal((7, 3))
    times = np.linspace(0.0, 2.9, n_frames)
    return MeshTimeData(
        nodes, times, np.zeros((2, n_frames)), None, None, n_slices, seed=seed, stencil=stencil
    )


def test_batches_are_seeded_and_redrawn():
    first = make_data(seed=0)
    again, other = make_data(seed=0), make_data(seed=1)
    np.testing.assert_array_equal(first.centres, again.centres)
    assert not np.array_equal(first.centres, other.centres)
    before = first.centres.copy()
    first.resample()
    assert not np.array_equal(first.centres, before)
    assert len(np.unique(first.centres)) == first.n_slices
    # the checkpointed state replays the stream and the batch
    state = first.state_dict()
    first.resample()
    restored, reference = make_data(seed=5), make_data(seed=0)
    restored.load_state_dict(restored, state)
    reference.set_centres(state["centres"])
    np.testing.assert_array_equal(restored.train_x, reference.train_x)
    np.testing.assert_array_equal(restored.train_aux, reference.train_aux)
    restored.resample()
    np.testing.assert_array_equal(restored.centres, first.centres)


def test_batches_hold_the_stencil_neighbours_and_reproduce_the_derivative():
    data = make_data(n_frames=30)
    data.set_centres([0, 1, 14, 28, 29])
    n = data.n_nodes
    times = data.train_x[::n, 3]
    frames = np.rint(times / (data.times[1] - data.times[0])).astype(int)
    np.testing.assert_array_equal(frames[:5], [0, 1, 14, 28, 29])
    np.testing.assert_array_equal(frames[5 + 4 * 2 : 5 + 4 * 3], [12, 13, 15, 16])  # ±τ, ±2τ
    np.testing.assert_array_equal(frames[5:9], [1, 2, 3, 4])  # one-sided at t = 0
    np.testing.assert_array_equal(frames[-4:], [25, 26, 27, 28])  # and at t = T
    # every node's rows of each column are the same frame, the nodes in order
    np.testing.assert_array_equal(data.train_x[:n, :3], data.nodes)
    assert np.all(data.train_x[:, 3].reshape(-1, n) == times[:, None])
    # u(columns) @ stencil is D u at the centres (eqs. 17-18)
    u = np.random.default_rng(2).standard_normal((n, 30))
    D = temporal_derivative(30, data.times[1] - data.times[0])
    np.testing.assert_allclose(u[:, frames] @ data.train_aux, (u @ D.T)[:, [0, 1, 14, 28, 29]],
                               rtol=1e-5, atol=1e-4)  # fmt: skip
    assert data.train_y.shape == (2, 25)


def test_test_set_covers_every_frame_and_ad_batches_only_the_centres():
    data = make_data(n_frames=30)
    x, y, stencil = data.test()
    assert x.shape == (30 * 7, 4) and y.shape == (2, 30)
    np.testing.assert_allclose(np.unique(x[:, 3]), data.times, rtol=1e-6)
    np.testing.assert_allclose(stencil, temporal_derivative(30, 0.1).T.toarray(), rtol=1e-6)
    centres_only = make_data(stencil=False)
    assert centres_only.train_x.shape == (5 * 7, 4)


def test_mesh_time_data_rejects_bad_frames():
    from pinn_inverse.ecg.eand_arn import MeshTimeData

    nodes = np.zeros((3, 3))
    with pytest.raises(ValueError, match="equally spaced"):
        MeshTimeData(nodes, [0, 1, 2, 3, 5], np.zeros((2, 5)), None, None, 2)
    with pytest.raises(ValueError, match=">= 5"):
        MeshTimeData(nodes, [0, 1, 2, 3], np.zeros((2, 4)), None, None, 2)
    with pytest.raises(ValueError, match="exceeds"):
        MeshTimeData(nodes, np.arange(6.0), np.zeros((2, 6)), None, None, 7)


# --- the adaptive ResNet ---------------------------------------------------------------------


def numpy_adaptive_resnet(x, params, alphas):
    """Eq. (11) and the paper's layout, in numpy."""
    h = np.tanh(x @ params[0][0] + params[0][1])
    for k, alpha in enumerate(alphas):
        (w1, b1), (w2, b2), (w3, b3) = params[1 + 3 * k : 4 + 3 * k]
        block = np.tanh(np.tanh(h @ w1 + b1) @ w2 + b2)
        h = np.tanh(((1 - alpha) * block + alpha * h) @ w3 + b3)
    return h @ params[-1][0] + params[-1][1]


@pytest.mark.network
def test_adaptive_resnet_is_eq_11_and_table_i():
    from pinn_inverse.nets import TABLE_I, AdaptiveResNet, NetConfig, build_net
    from pinn_inverse.nets.adaptive_resnet import adaptive_resnet_weights
    from pinn_inverse.nets.glorot import glorot_weights

    net = AdaptiveResNet(4, 2, 15, 3, seed=3, alpha0=1.0)
    x = np.random.default_rng(0).uniform(-1, 1, (6, 4)).astype(np.float32)
    params = adaptive_resnet_weights(4, 2, 15, 3, seed=3)
    alpha = 1 / (1 + np.exp(-1.0))
    expected = numpy_adaptive_resnet(x, params, [alpha] * 3)
    out = backend.to_numpy(net(backend.as_tensor(x)))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(net.alphas, alpha, rtol=1e-6)
    assert len(params) == 11  # 10 hidden layers and the output (NN6)
    assert [(c.layers, c.blocks) for c in TABLE_I.values()] == [
        (4, 0), (4, 1), (7, 0), (7, 2), (10, 0), (10, 3)
    ]  # fmt: skip
    assert all(c.neurons == 15 for c in TABLE_I.values())
    fnn = build_net("NN5", 4, 2, seed=3)
    assert type(fnn).__name__ == "FNN"
    # seeded (DeepXDE's TensorFlow initialisers are not), the same draw on both backends
    params = glorot_weights([(4, 15), *[(15, 15)] * 9, (15, 2)], seed=3)
    h = x
    for w, b in params[:-1]:
        h = np.tanh(h @ w + b)
    expected = h @ params[-1][0] + params[-1][1]
    np.testing.assert_allclose(backend.to_numpy(fnn(backend.as_tensor(x))), expected, atol=1e-5)
    other = backend.to_numpy(build_net("NN5", 4, 2, seed=4)(backend.as_tensor(x)))
    assert np.abs(other - expected).max() > 1e-3
    with pytest.raises(ValueError, match="take 3 × 2 \\+ 1 = 7 layers"):
        NetConfig(layers=6, neurons=15, blocks=2)
    with pytest.raises(ValueError, match="unknown net 'NN7'"):
        build_net("NN7", 4, 2)


@pytest.mark.network
@pytest.mark.parametrize("build, derivatives", [("eand_arn", "nd"), ("ep_dl", "ad")])
def test_input_scale_multiplies_the_inputs_and_keeps_the_physics(ecg, build, derivatives):
    # the same physical field seen through inputs s x̃, s t̃ must give the same residuals in
    # model units (AD's derivatives in x and t are s times larger per input unit)
    from pinn_inverse.ecg import eand_arn

    factory = getattr(eand_arn, build)
    runs = {}
    for s in (1.0, 2.5):
        problem = factory(ecg, derivatives, preset=quick(input_scale=s), seed=0)
        residuals, _ = scheme_residuals(problem, f=lambda x, s=s: field(x / s))
        runs[s] = residuals, problem.data.train_x
    (ref, x1), (scaled, x2) = runs[1.0], runs[2.5]
    np.testing.assert_allclose(x2, 2.5 * x1, rtol=1e-6)
    for a, b in zip(scaled, ref, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4 * np.abs(b).max())
    with pytest.raises(ValueError, match="input_scale must be strictly positive"):
        factory(ecg, derivatives, preset=quick(input_scale=0.0))


# --- the problem: training, resume, bad input -------------------------------------------------


TRAINING = {"iterations": 30, "learning_rate": 5e-3}


@pytest.fixture(scope="module")
def trained(ecg):
    """A quick run of the default EAND-ARN (STND, NN6), and its loss terms and RE before."""
    from pinn_inverse.ecg.eand_arn import eand_arn

    problem = eand_arn(ecg, preset=quick(**TRAINING))
    before, re_before = problem.loss_terms(), problem.evaluate()["re"]
    problem.train(progress=False)
    return problem, before, re_before


@pytest.mark.network
def test_quick_training_reduces_the_loss_and_reports_metrics(ecg, trained):
    problem, before, re_before = trained
    assert set(before) == {"data", "r_u", "r_v"}
    after = problem.loss_terms()
    weighted = [sum(t[k] * (1 if k == "data" else 0.1) for k in t) for t in (before, after)]
    assert weighted[1] < 0.5 * weighted[0], (before, after)
    u, v = problem.predict()
    assert u.shape == v.shape == ecg.u.shape
    scores = problem.evaluate()
    assert set(scores) == {"re", "cc", "mse"}
    assert scores["re"] < re_before, (re_before, scores)
    assert problem.trainer.fingerprint["R_sha256"] and problem.trainer.done == 30


class Interrupt(dde.callbacks.Callback):
    def __init__(self, trainer, at):
        super().__init__()
        self.trainer, self.at = trainer, at

    def on_epoch_end(self):
        if self.trainer.done == self.at:
            raise KeyboardInterrupt


@pytest.mark.network
def test_a_resumed_run_ends_where_an_uninterrupted_one_does(ecg, trained, tmp_path):
    from pinn_inverse.ecg.eand_arn import eand_arn

    preset = quick(**TRAINING)  # (L-BFGS's resume is the trainer's, tests/test_training.py)
    straight = trained[0]
    interrupted = eand_arn(ecg, preset=preset)
    with pytest.raises(KeyboardInterrupt):
        interrupted.train(
            checkpoint=tmp_path,
            checkpoint_every=10,
            progress=False,
            callbacks=[Interrupt(interrupted.trainer, 15)],
        )
    resumed = eand_arn(ecg, preset=preset)
    resumed.train(checkpoint=tmp_path, checkpoint_every=10, progress=False)
    assert resumed.trainer.done == 30
    assert resumed.trainer.timings[-1]["steps"] == 20  # from the checkpoint at step 10
    np.testing.assert_array_equal(resumed.data.centres, straight.data.centres)
    np.testing.assert_allclose(resumed.predict()[0], straight.predict()[0], rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="lam: 0.1 in the checkpoint, 0.3 here"):
        eand_arn(ecg, lam=0.3, preset=preset).train(checkpoint=tmp_path, progress=False)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"y": np.zeros((5, 25))}, "data.y has 5 leads but data.R maps to 42"),
        ({"y": np.full((42, 25), np.nan)}, "NaN"),
        ({"t": np.linspace(0, 1, 25) ** 2}, "equally spaced"),
        ({"t": np.arange(4.0), "y": np.zeros((42, 4))}, "at least 5"),
        ({"R": np.zeros((42, 10))}, "heart has 162 nodes"),
    ],
)
def test_eand_arn_rejects_bad_data(ecg, change, message):
    from pinn_inverse.ecg.eand_arn import eand_arn

    with pytest.raises(ValueError, match=message):
        eand_arn(dataclasses.replace(ecg, **change), preset=quick())


def test_eand_arn_rejects_unknown_options(ecg):
    from pinn_inverse.ecg.eand_arn import eand_arn

    with pytest.raises(ValueError, match="unknown derivatives 'fd'; accepted: 'ad', 'nd_space'"):
        eand_arn(ecg, derivatives="fd")
    with pytest.raises(ValueError, match="unknown net 'NN9'"):
        eand_arn(ecg, net="NN9")
    with pytest.raises(ValueError, match="unknown preset 'paper'"):
        eand_arn(ecg, preset="paper")
    with pytest.raises(ValueError, match="lam must be >= 0"):
        eand_arn(ecg, lam=-1.0)
    with pytest.raises(TypeError, match="EcgData"):
        eand_arn(ecg.y)
    with pytest.raises(ValueError, match="unknown loss terms \\['r_b'\\]; 'nd' has"):
        eand_arn(ecg, preset=quick(weights={"r_b": 1.0}))
    with pytest.raises(ValueError, match="unknown laplacian"):
        eand_arn(ecg, preset=quick(laplacian="spectral"))


def test_loss_weights_are_one_and_lam_unless_the_preset_sets_them(ecg):
    from pinn_inverse.ecg.eand_arn import ep_dl

    problem = ep_dl(ecg, lam=0.3, preset=quick(weights={"r_b": 0.0}))
    assert problem.trainer.loss_weights == {"data": 1.0, "r_u": 0.3, "r_v": 0.3, "r_b": 0.0}


@pytest.mark.network
def test_the_initialisation_screening_redraws_only_a_bad_initialisation(ecg):
    from pinn_inverse.ecg.eand_arn import eand_arn

    # NN6's seed-2 weights start with λ L_EP ≈ 2.9 L_D here (the paper's bad initialisation)
    bad = eand_arn(ecg, preset=quick(init_draws=1), seed=2)
    assert bad.init_draw == 0 and bad.ep_to_data() > 2.0
    screened = eand_arn(ecg, preset=quick(), seed=2)  # the default: init_draws 10
    assert screened.init_draw >= 1 and screened.ep_to_data() < 0.1
    assert not np.allclose(screened.predict()[0], bad.predict()[0])
    # a good first draw is kept: the same network as without the screening
    good, kept = (eand_arn(ecg, preset=quick(init_draws=n), seed=0) for n in (1, 4))
    assert kept.init_draw == 0 and good.ep_to_data() < 0.1
    np.testing.assert_array_equal(kept.predict()[0], good.predict()[0])
    with pytest.raises(ValueError, match="init_draws must be"):
        eand_arn(ecg, preset=quick(init_draws=0))


@pytest.mark.network
@pytest.mark.parametrize("derivatives", ["nd", "nd_space"])
def test_eigenfunction_inputs_replace_the_positions(ecg, derivatives):
    from pinn_inverse.ecg.eand_arn import eand_arn
    from pinn_inverse.operators import laplacian_eigenfunctions

    heart = ecg.geometry.heart
    problem = eand_arn(ecg, derivatives, preset=quick(eigenfunctions=6, **TRAINING))
    x, n = problem.data.test_x, heart.n_nodes
    assert x.shape == (n * len(ecg.t), 7)
    phi = laplacian_eigenfunctions(heart.vertices, heart.faces, 6)[1]
    np.testing.assert_allclose(x[n : 2 * n, :6], phi, atol=1e-6)  # every frame: φ, then t
    np.testing.assert_allclose(x[n : 2 * n, 6], problem.data.input_times[1])
    before = problem.loss_terms()
    problem.train(progress=False)
    after = problem.loss_terms()
    weighted = [sum(t[k] * (1 if k == "data" else 0.1) for k in t) for t in (before, after)]
    assert weighted[1] < 0.5 * weighted[0], (before, after)


def test_eigenfunction_inputs_are_refused_with_ad(ecg):
    from pinn_inverse.ecg.eand_arn import ep_dl

    with pytest.raises(ValueError, match="AD differentiates the network in x, y, z"):
        ep_dl(ecg, preset=quick(eigenfunctions=6))
    with pytest.raises(ValueError, match="eigenfunctions must be"):
        ep_dl(ecg, derivatives="nd", preset=quick(eigenfunctions=-1))


def test_the_default_preset_guards_every_adam_stage_against_a_blow_up():
    from pinn_inverse.ecg.eand_arn import PRESETS

    preset = PRESETS["default"]
    assert [s.rollback for s in preset.stages()] == [100.0] * 3
    assert [s.rollback for s in preset.quick().stages()] == [100.0] * 3
