"""Classical EEG baselines: the lead field against the exact series, and the known properties
of a dipole fit (exact recovery without noise) and of sLORETA (zero localisation error)."""

import numpy as np
import pytest

from pinn_inverse.eeg import Dipole, ThreeShellHead, exact_potential, fibonacci_electrodes
from pinn_inverse.eeg.baselines import dipole_fit, sloreta, source_space
from pinn_inverse.eeg.simulate import simulate
from pinn_inverse.eeg.sphere_series import leadfield

HEAD = ThreeShellHead()
ELECTRODES = fibonacci_electrodes(32, HEAD.radius)
POINT = 1e-4  # m, a point dipole as seen from the scalp


def _scalp(dipole, head=HEAD, electrodes=ELECTRODES):
    v = exact_potential(head, dipole, electrodes)
    return v - v.mean()


def _cosine(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.mark.parametrize(
    "head",
    [HEAD, ThreeShellHead(radii=(0.05,), sigmas=(0.33,))],
    ids=["three shells", "homogeneous sphere"],
)
def test_leadfield_columns_are_exact_series_average_referenced(head):
    electrodes = fibonacci_electrodes(32, head.radius)
    positions = np.array([[0.0, 0.0, 0.0], [0.012, -0.004, 0.008], [-0.02, 0.025, -0.01]])
    L = leadfield(head, electrodes, positions)
    assert L.shape == (32, 9)
    np.testing.assert_allclose(L.mean(axis=0), 0.0, atol=1e-14 * np.abs(L).max())
    for i, x in enumerate(positions):
        for j in range(3):
            moment = np.eye(3)[j]
            ref = _scalp(Dipole(position=x, moment=moment, width=POINT), head, electrodes)
            np.testing.assert_allclose(L[:, 3 * i + j], ref, rtol=0, atol=1e-9 * np.abs(ref).max())


def test_leadfield_is_linear_in_the_moment_near_the_boundary():
    # 34.5 mm from the centre: about 1500 series terms, where truncation would show
    x = 0.0345 * np.array([0.6, -0.48, 0.64])
    p = np.array([2e-9, -7e-9, 4e-9])
    L = leadfield(HEAD, ELECTRODES, x)
    ref = _scalp(Dipole(position=x, moment=p, width=POINT))
    np.testing.assert_allclose(L @ p, ref, rtol=0, atol=1e-9 * np.abs(ref).max())


def test_source_space_grid():
    grid = source_space(HEAD, spacing=0.005, margin=0.005)
    r = np.linalg.norm(grid, axis=1)
    assert r.max() <= 0.030 + 1e-12
    assert np.any(np.all(grid == 0, axis=1))
    assert np.any(np.all(np.isclose(grid, Dipole().position), axis=1))
    # on the lattice, symmetric, and every lattice point inside the ball is there
    np.testing.assert_allclose(grid / 0.005, np.round(grid / 0.005), atol=1e-9)
    np.testing.assert_allclose(grid.sum(axis=0), 0.0, atol=1e-12)
    k = np.arange(-6, 7)
    lattice = 0.005 * np.stack(np.meshgrid(k, k, k), -1).reshape(-1, 3)
    assert len(grid) == np.sum(np.linalg.norm(lattice, axis=1) <= 0.030 + 1e-12)


def test_dipole_fit_recovers_a_noise_free_dipole():
    dipole = Dipole(position=(0.012, -0.004, 0.008), moment=(3e-9, 8e-9, -5e-9))
    # a common reference (here an offset) must not matter
    fit = dipole_fit(HEAD, ELECTRODES, _scalp(dipole) + 3e-6)
    assert np.linalg.norm(fit.position - dipole.position) < 1e-4
    p = np.asarray(dipole.moment)
    assert np.linalg.norm(fit.moment - p) < 0.01 * np.linalg.norm(p)
    assert _cosine(fit.moment, p) > 0.999  # a flipped sign gives −1
    assert fit.goodness_of_fit > 1 - 1e-9
    assert not fit.on_boundary and fit.reduced_chi2 is None


def test_dipole_fit_reaches_beyond_the_scan_grid():
    # 33 mm from the centre, outside the 30 mm coarse scan: the search must walk there
    x = 0.033 * np.array([0.0, 0.6, 0.8])
    dipole = Dipole(position=x, moment=(5e-9, 0.0, 2e-9), width=POINT)
    fit = dipole_fit(HEAD, ELECTRODES, _scalp(dipole))
    assert np.linalg.norm(fit.position - x) < 1e-4
    assert _cosine(fit.moment, dipole.moment) > 0.999


def test_dipole_fit_flags_a_source_beyond_its_search_region():
    x = 0.031 * np.array([0.0, 0.6, 0.8])
    data = _scalp(Dipole(position=x, moment=(5e-9, 0.0, 2e-9), width=POINT))
    inside = dipole_fit(HEAD, ELECTRODES, data)
    limited = dipole_fit(HEAD, ELECTRODES, data, margin=0.010)
    assert not inside.on_boundary
    assert limited.on_boundary
    assert np.linalg.norm(limited.position) == pytest.approx(0.025, abs=1e-4)
    assert limited.goodness_of_fit < inside.goodness_of_fit


def test_dipole_fit_with_noise_is_consistent_with_the_noise():
    sim = simulate(HEAD, Dipole(), ELECTRODES, noise=0.005, seed=3, grid_n=8)
    fit = dipole_fit(HEAD, ELECTRODES, sim.measurements, noise_std=sim.noise_std)
    assert np.linalg.norm(fit.position - Dipole().position) < 1e-3
    assert _cosine(fit.moment, Dipole().moment) > 0.99
    # 25 degrees of freedom: χ²/ν is within [0.3, 2.2] with probability > 99.9 %
    assert 0.3 < fit.reduced_chi2 < 2.2


@pytest.mark.parametrize(
    "position", [(0.01, 0.0, 0.0), (0.0, 0.005, -0.01), (0.02, 0.01, -0.015), (-0.025, 0.0, 0.015)]
)
def test_sloreta_zero_localisation_error_without_noise(position):
    # Pascual-Marqui (2002): exact for a single source on a grid point, deep or superficial
    moment = (4e-9, -2e-9, 6e-9)
    data = _scalp(Dipole(position=position, moment=moment, width=POINT))
    noise_std = 1e-8
    result = sloreta(HEAD, ELECTRODES, data, noise_std=noise_std)
    np.testing.assert_allclose(result.peak, position, atol=1e-12)
    # at the true point the standardized power is the whole data norm in the metric
    # (K Kᵀ + αH)⁺ over the source variance σ_J² = σ²/α: the bound no other point exceeds
    K = leadfield(HEAD, ELECTRODES, result.positions)
    G = np.linalg.pinv(K @ K.T + result.alpha * (np.eye(32) - 1 / 32), hermitian=True)
    assert result.power.max() == pytest.approx(data @ G @ data * result.alpha / noise_std**2)
    i = np.argmax(result.power)
    assert _cosine(result.moments[i], np.asarray(moment)) > 0.9


def test_sloreta_with_noise_localises_within_a_few_mm():
    sim = simulate(HEAD, Dipole(), ELECTRODES, noise=0.005, seed=0, grid_n=8)
    result = sloreta(HEAD, ELECTRODES, sim.measurements, noise_std=sim.noise_std)
    assert np.linalg.norm(result.peak - Dipole().position) <= 0.005
    # the noise level only scales the standardized power
    half = sloreta(HEAD, ELECTRODES, sim.measurements, noise_std=sim.noise_std / 2)
    np.testing.assert_allclose(half.power, 4 * result.power, rtol=1e-10)
    assert result.alpha == half.alpha


def test_sloreta_regularisation_follows_snr():
    data = _scalp(Dipole())
    a = sloreta(HEAD, ELECTRODES, data, noise_std=1e-8, spacing=0.01, snr=3.0)
    b = sloreta(HEAD, ELECTRODES, data, noise_std=1e-8, spacing=0.01, snr=6.0)
    K = leadfield(HEAD, ELECTRODES, a.positions)
    assert a.alpha == pytest.approx(np.trace(K @ K.T) / (31 * 9), rel=1e-12)
    assert a.alpha == pytest.approx(4 * b.alpha, rel=1e-12)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: leadfield(HEAD, ELECTRODES, [0.036, 0, 0]), "outside the brain"),
        (lambda: leadfield(HEAD, ELECTRODES * 0.9, [0.01, 0, 0]), "off the scalp"),
        (lambda: source_space(HEAD, spacing=0.0), "strictly positive"),
        (lambda: source_space(HEAD, margin=0.04), "margin must lie"),
        (lambda: dipole_fit(HEAD, ELECTRODES, np.zeros(31)), "31 value"),
        (lambda: dipole_fit(HEAD, ELECTRODES, np.full(32, np.nan)), "NaN"),
        (lambda: dipole_fit(HEAD, ELECTRODES, np.ones(32)), "constant"),
        (lambda: dipole_fit(HEAD, ELECTRODES[:6], np.arange(6.0)), "at least 8"),
        (lambda: dipole_fit(HEAD, ELECTRODES, np.arange(32.0), noise_std=-1), "positive"),
        (lambda: sloreta(HEAD, ELECTRODES, np.arange(32.0), noise_std=0.0), "positive"),
        (lambda: sloreta(HEAD, ELECTRODES, np.arange(32.0), 1e-7, snr=-3), "positive"),
        (lambda: sloreta(HEAD, ELECTRODES, np.ones((32, 2)), 1e-7), "1-D"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()
