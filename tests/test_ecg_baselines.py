"""Tikhonov and STRE against direct dense solves; benchmark data sets; bad input."""

import numpy as np
import pytest
import trimesh

from pinn_inverse.ecg.baselines import stre, tikhonov, window_laplacian
from pinn_inverse.ecg.data import add_noise, benchmark_data
from pinn_inverse.ecg.geometry import check_nested, check_surface, refine
from pinn_inverse.io import load_arrays
from pinn_inverse.metrics import cc, re
from pinn_inverse.operators import mesh_laplacian


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(1)
    R = rng.standard_normal((12, 20))
    L = np.diag(np.full(20, -2.0)) + np.eye(20, k=1) + np.eye(20, k=-1)
    L[0, 0] = L[-1, -1] = -1.0
    y = rng.standard_normal((12, 9))
    return R, L, y


@pytest.mark.parametrize("order", [0, 2])
def test_tikhonov_matches_the_normal_equations(small, order):
    R, L, y = small
    gamma = np.eye(20) if order == 0 else L
    for lam in (0.03, 0.7, 5.0):
        direct = np.linalg.solve(R.T @ R + lam**2 * gamma.T @ gamma, R.T @ y)
        rec = tikhonov(R, y, order=order, laplacian=L, lam=lam, lambdas=[lam / 2, lam, 2 * lam])
        assert np.allclose(rec.u, direct, rtol=1e-7, atol=1e-9)
        assert rec.residual_norm[1] == pytest.approx(np.linalg.norm(y - R @ direct), rel=1e-6)
        assert rec.solution_norm[1] == pytest.approx(np.linalg.norm(gamma @ direct), rel=1e-6)
        influence = R @ np.linalg.solve(R.T @ R + lam**2 * gamma.T @ gamma, R.T)
        gcv = np.linalg.norm(y - R @ direct) ** 2 / (9 * (12 - np.trace(influence)) ** 2)
        assert rec.gcv[1] == pytest.approx(gcv, rel=1e-6)


def test_stre_matches_the_kronecker_system(small):
    R, L, y = small
    lam_s, lam_t, window = 0.4, 0.9, 2
    Lt = window_laplacian(y.shape[1], window)
    # vec(U) column-major: (I ⊗ (RᵀR + λs² LᵀL) + λt² Lt ⊗ I) vec U = vec(Rᵀ Y)
    system = np.kron(np.eye(9), R.T @ R + lam_s**2 * L.T @ L) + lam_t**2 * np.kron(Lt, np.eye(20))
    direct = np.linalg.solve(system, (R.T @ y).ravel(order="F")).reshape(20, 9, order="F")
    rec = stre(R, y, L, lam_s=lam_s, lam_t=lam_t, window=window)
    assert np.allclose(rec.u, direct, rtol=1e-7, atol=1e-9)
    assert rec.lam == (lam_s, lam_t)


def test_window_laplacian():
    Lt = window_laplacian(6, 2)
    assert np.allclose(Lt.sum(axis=1), 0.0)
    assert Lt[0, 0] == 2 and Lt[2, 2] == 4 and Lt[0, 3] == 0


def test_baselines_refuse_bad_input(small):
    R, L, y = small
    with pytest.raises(ValueError, match="torso rows"):
        tikhonov(R, y[:5], order=0)
    with pytest.raises(ValueError, match="NaN"):
        tikhonov(R, np.where(y > 1, np.nan, y), order=0)
    with pytest.raises(ValueError, match="order"):
        tikhonov(R, y, order=1)
    with pytest.raises(ValueError, match="laplacian"):
        tikhonov(R, y, order=2)
    with pytest.raises(ValueError, match="lam"):
        tikhonov(R, y, order=0, lam="aic")
    with pytest.raises(ValueError, match="R must be"):
        add_noise(R[:, :5], np.ones((20, 3)), 0.1, 0)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    # shared with test_ecg_pipeline, so the transfer matrix is built once per session
    return tmp_path_factory.getbasetemp() / "ecg"


def test_benchmark_data_is_seeded_and_cached(cache):
    a = benchmark_data(0.05, seed=3, cache_dir=cache)
    b = benchmark_data(0.05, seed=3, cache_dir=cache)
    c = benchmark_data(0.05, seed=4, cache_dir=cache)
    assert a.u.shape == (1094, 661) and a.y.shape == (352, 661) and a.R.shape == (352, 1094)
    assert np.array_equal(a.y, b.y) and not np.array_equal(a.y, c.y)
    noise = a.y - a.R @ a.u
    assert noise.std() == pytest.approx(0.05, rel=0.01)
    assert abs(noise.mean()) < 0.002
    assert len(list(cache.glob("R_*.npz"))) == 1
    # a corrupt cache file is detected and rebuilt, not used
    (simulation,) = cache.glob("ap_*.npz")
    simulation.write_bytes(simulation.read_bytes()[:100])
    d = benchmark_data(0.05, seed=3, cache_dir=cache)
    assert np.array_equal(d.y, a.y)
    load_arrays(simulation)


def test_baselines_on_the_benchmark(cache):
    data = benchmark_data(0.01, cache_dir=cache)
    L = mesh_laplacian(data.geometry.heart.vertices, data.geometry.heart.faces)
    second = tikhonov(data.R, data.y, order=2, laplacian=L, lam="lcurve")
    scores = {}
    for name, rec in {
        "tikhonov2": second,
        "stre": stre(data.R, data.y, L, lam_s=second.lam),
    }.items():
        scores[name] = (re(rec.u, data.u), cc(rec.u, data.u))
    # measured on this geometry (RE ≈ 0.19-0.30, CC ≈ 0.92-0.97); the bounds catch a broken
    # solver (RE ≥ 1 for zero or sign-flipped solutions) without pinning noisy numbers
    for name, (rel_err, corr) in scores.items():
        assert rel_err < 0.4 and corr > 0.85, (name, scores)


def test_laplacian_of_the_wrong_size_is_refused(small):
    R, L, y = small
    with pytest.raises(ValueError, match="laplacian"):
        tikhonov(R, y, order=2, laplacian=L[:10, :10])
    with pytest.raises(ValueError, match="laplacian"):
        stre(R, y, L[:10, :10], lam_s=1.0, lam_t=1.0)


def test_data_from_a_finer_forward_model_converge_and_leave_R_alone():
    # spheres of 42 nodes; each split of both surfaces brings the simulated torso data closer
    # to the limit of the piecewise-linear heart data (BEM error O(h²): about 4-5× per split)
    def sphere(radius):
        mesh = trimesh.creation.icosphere(subdivisions=1, radius=radius)
        return check_surface(np.asarray(mesh.vertices), np.asarray(mesh.faces))

    geometry = check_nested(sphere(0.03), sphere(0.06))
    runs = [
        benchmark_data(0.0, geometry=geometry, n_frames=9, cache_dir=None, forward_subdivisions=k)
        for k in (0, 1, 2)
    ]
    assert [d.forward_subdivisions for d in runs] == [0, 1, 2]
    assert all(np.array_equal(d.R, runs[0].R) for d in runs)  # the methods' R is the coarse one
    assert np.array_equal(runs[0].y, runs[0].R @ runs[0].u)  # k = 0: the inverse crime
    limit = runs[2].y
    error = [np.linalg.norm(d.y - limit) / np.linalg.norm(limit) for d in runs[:2]]
    assert 0.01 < error[0] < 0.2 and error[0] / error[1] > 3, error
    with pytest.raises(ValueError, match="forward_subdivisions"):
        benchmark_data(geometry=geometry, n_frames=9, cache_dir=None, forward_subdivisions=-1)


def test_refine_interpolates_linear_fields_exactly():
    mesh = trimesh.creation.icosphere(subdivisions=1)
    surface = check_surface(np.asarray(mesh.vertices), np.asarray(mesh.faces))
    fine, P = refine(surface, 2)
    assert P.shape == (fine.n_nodes, surface.n_nodes) == (642, 42)
    assert np.allclose(P @ surface.vertices, fine.vertices, atol=1e-15)  # x, y, z are linear
    assert np.allclose(P.sum(axis=1), 1.0)
    assert np.array_equal(P[:42].toarray(), np.eye(42))  # the old nodes keep their indices
