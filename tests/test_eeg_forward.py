"""EEG forward model: every solver checked against an independent reference."""

import numpy as np
import pytest

from pinn_inverse.eeg import (
    Dipole,
    GaussianSource,
    SourceSinkPair,
    ThreeShellHead,
    check_on_scalp,
    exact_potential,
    fibonacci_electrodes,
    read_montage,
)
from pinn_inverse.eeg.grid import (
    VoxelGrid,
    harmonic_face_conductivities,
    richardson,
    solve_grid,
    solve_head,
    source_on_grid,
    subvoxel_face_conductivities,
)
from pinn_inverse.eeg.simulate import simulate
from pinn_inverse.eeg.sphere_series import auto_terms

HEAD = ThreeShellHead()
DIPOLE = Dipole(position=(0.012, -0.004, 0.008), moment=(3e-9, 8e-9, -5e-9), width=0.003)
ELECTRODES = fibonacci_electrodes(32, HEAD.radius)


def _avg(v):
    return v - v.mean()


def _rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


# --- head, sources, electrodes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"radii": (0.04, 0.035, 0.05)}, "strictly increasing"),
        ({"sigmas": (0.33, 0.0, 0.43)}, "strictly positive"),
        ({"sigmas": (0.33, 0.43)}, "one entry per shell"),
        ({"radii": (0.035, np.nan, 0.05)}, "NaN"),
    ],
)
def test_head_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ThreeShellHead(**kwargs)


@pytest.mark.network
def test_sigma_is_piecewise_constant_on_numpy_and_backend_tensors():
    import deepxde as dde

    points = np.array([[0.0, 0, 0], [0.0375, 0, 0], [0, 0.045, 0], [0, 0, 0.0349]])
    expected = np.array([0.33, 0.013, 0.43, 0.33])
    np.testing.assert_allclose(HEAD.sigma(points)[:, 0], expected)
    tensor = HEAD.sigma(dde.backend.as_tensor(points.astype(np.float32)))
    np.testing.assert_allclose(dde.backend.to_numpy(tensor)[:, 0], expected, rtol=1e-6)


def test_single_gaussian_source_is_refused_with_the_alternatives():
    with pytest.raises(ValueError, match=r"∫ I dV = 0.*Dipole.*SourceSinkPair.*compensate=True"):
        GaussianSource().check_compatible(HEAD)


def _integrate(density, n=96):
    grid = VoxelGrid(n, 0.035)
    centers = grid.centers()
    values = density(centers)
    return values, centers, grid.h**3


@pytest.mark.parametrize(
    "source",
    [
        Dipole(),
        SourceSinkPair(),
        GaussianSource(compensate=True),
    ],
    ids=["dipole", "pair", "compensated-gaussian"],
)
def test_compatible_sources_integrate_to_zero(source):
    source.check_compatible(HEAD)
    values, _, dv = _integrate(source.density)
    scale = np.sum(np.abs(values)) * dv
    assert abs(np.sum(values) * dv) < 2e-3 * scale


def test_dipole_density_has_the_dipole_moment():
    values, centers, dv = _integrate(DIPOLE.density)
    moment = centers.T @ values * dv  # first moment ∫ x I dV = p
    np.testing.assert_allclose(moment, DIPOLE.moment, atol=1e-3 * np.linalg.norm(DIPOLE.moment))


def test_smoothed_primary_solves_poisson_and_tends_to_the_point_dipole():
    sigma = 0.33
    rng = np.random.default_rng(1)
    x = np.asarray(DIPOLE.position) + rng.normal(scale=DIPOLE.width, size=(20, 3))
    h = 2e-5
    lap = (
        sum(
            DIPOLE.primary_potential(x + h * e, sigma)
            - 2 * DIPOLE.primary_potential(x, sigma)
            + DIPOLE.primary_potential(x - h * e, sigma)
            for e in np.eye(3)
        )
        / h**2
    )
    np.testing.assert_allclose(sigma * lap, -DIPOLE.density(x), rtol=2e-3, atol=1e-3)
    far = np.asarray(DIPOLE.position) + 12 * DIPOLE.width * np.array([[0.6, 0.0, 0.8]])
    d = far - np.asarray(DIPOLE.position)
    point = d @ np.asarray(DIPOLE.moment) / (4 * np.pi * sigma * np.linalg.norm(d) ** 3)
    np.testing.assert_allclose(DIPOLE.primary_potential(far, sigma), point, rtol=1e-10)


def test_source_outside_the_brain_is_refused():
    with pytest.raises(ValueError, match="outside the brain or too close"):
        Dipole(position=(0.034, 0, 0)).check_compatible(HEAD)


def test_fibonacci_electrodes_lie_on_the_scalp_and_cover_it():
    assert ELECTRODES.shape == (32, 3)
    np.testing.assert_allclose(np.linalg.norm(ELECTRODES, axis=1), HEAD.radius)
    assert np.linalg.norm(ELECTRODES.mean(axis=0)) < 0.05 * HEAD.radius


def test_biosemi_montage_is_read_onto_the_scalp(shared_data):
    montage = read_montage(shared_data / "eeg" / "biosemi32.txt", radius=HEAD.radius)
    assert len(montage) == 32 and "Cz" in montage.names and "Nz" not in montage.names
    np.testing.assert_allclose(montage.positions[montage.names.index("Cz")], [0, 0, 0.05])
    # Fz: θ = 46°, φ = 90° → on the +y side, above the equator
    fz = montage.positions[montage.names.index("Fz")]
    np.testing.assert_allclose(
        fz, 0.05 * np.array([0, np.sin(np.radians(46)), np.cos(np.radians(46))]), atol=1e-12
    )
    check_on_scalp(montage.positions, HEAD)


def test_bad_montage_and_off_scalp_electrodes_are_refused(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("Site Theta Phi\nCz 0\n")
    with pytest.raises(ValueError, match="expected 'name theta phi'"):
        read_montage(bad)
    with pytest.raises(ValueError, match="off the scalp"):
        check_on_scalp(ELECTRODES * 0.9, HEAD)
    with pytest.raises(ValueError, match=r"shape \(N, 3\)"):
        check_on_scalp(ELECTRODES[:, :2], HEAD)


# --- exact series -------------------------------------------------------------------------


def test_series_matches_mne_sphere_forward_at_the_electrodes():
    mne = pytest.importorskip("mne")
    mne.set_log_level("ERROR")
    names = [f"E{i}" for i in range(len(ELECTRODES))]
    info = mne.create_info(names, 1000.0, "eeg")
    info.set_montage(
        mne.channels.make_dig_montage(
            ch_pos=dict(zip(names, ELECTRODES, strict=True)), coord_frame="head"
        )
    )
    radii = np.asarray(HEAD.radii)
    sphere = mne.make_sphere_model(
        r0=(0, 0, 0),
        head_radius=HEAD.radius,
        relative_radii=radii / radii[-1],
        sigmas=HEAD.sigmas,
    )
    p = np.asarray(DIPOLE.moment)
    amplitude = np.linalg.norm(p)
    dip = mne.Dipole([0.0], [DIPOLE.position], [amplitude], [p / amplitude], [100.0])
    fwd, _ = mne.make_forward_dipole(dip, sphere, info)
    expected = _avg(fwd["sol"]["data"][:, 0] * amplitude)
    ours = _avg(exact_potential(HEAD, DIPOLE, ELECTRODES))
    # MNE fits Berg–Scherg equivalent dipoles to the same series: agreement to ~1e-4
    assert _rel(ours, expected) < 2e-3
    # the comparison is sensitive: a skull twice as conductive changes the scalp by > 10 %
    wrong = ThreeShellHead(sigmas=(0.33, 0.026, 0.43))
    assert _rel(_avg(exact_potential(wrong, DIPOLE, ELECTRODES)), expected) > 0.1


def _radial_points(radius, count=12, seed=0):
    u = np.random.default_rng(seed).normal(size=(count, 3))
    return radius * u / np.linalg.norm(u, axis=1, keepdims=True)


@pytest.mark.parametrize("interface", [0, 1])
def test_series_potential_and_normal_current_are_continuous(interface):
    radius = HEAD.radii[interface]
    unit = _radial_points(1.0)
    h = 1e-6 * radius

    def phi(r):
        return exact_potential(HEAD, DIPOLE, r * unit)

    inner, outer = HEAD.sigmas[interface], HEAD.sigmas[interface + 1]
    # one-sided second-order differences on each side of the interface
    d_in = (3 * phi(radius - h) - 4 * phi(radius - 2 * h) + phi(radius - 3 * h)) / (2 * h)
    d_out = (-3 * phi(radius + h) + 4 * phi(radius + 2 * h) - phi(radius + 3 * h)) / (2 * h)
    scale = np.abs(phi(radius - h)).max()
    # values extrapolated onto the interface from either side agree
    inside = 2 * phi(radius - h) - phi(radius - 2 * h)
    outside = 2 * phi(radius + h) - phi(radius + 2 * h)
    np.testing.assert_allclose(inside, outside, atol=1e-7 * scale)
    np.testing.assert_allclose(inner * d_in, outer * d_out, atol=1e-4 * np.abs(inner * d_in).max())
    # and the radial derivative itself jumps by the conductivity ratio
    assert np.abs(d_out).max() > 2 * np.abs(d_in).max() or interface == 1


def test_series_has_zero_flux_at_the_scalp():
    unit = _radial_points(1.0)
    R, h = HEAD.radius, 1e-6 * HEAD.radius
    phi = [exact_potential(HEAD, DIPOLE, (R - k * h) * unit) for k in range(3)]
    d = (3 * phi[0] - 4 * phi[1] + phi[2]) / (2 * h)
    tangential = np.abs(phi[0]).max() / R
    assert np.abs(d).max() < 1e-5 * tangential


@pytest.mark.parametrize("radius", [0.0375, 0.045])
def test_series_is_harmonic_in_source_free_shells(radius):
    x = _radial_points(radius, seed=2)
    h = 1e-4
    second = [
        (
            exact_potential(HEAD, DIPOLE, x + h * e)
            - 2 * exact_potential(HEAD, DIPOLE, x)
            + exact_potential(HEAD, DIPOLE, x - h * e)
        )
        / h**2
        for e in np.eye(3)
    ]
    # each ∂²φ/∂x_i² is O(1) here; their sum, the Laplacian, vanishes
    assert np.abs(sum(second)).max() < 1e-3 * max(np.abs(d).max() for d in second)


def test_series_converges_geometrically_in_the_number_of_terms():
    deep = Dipole(position=(0.025, 0.0, 0.0), moment=(1e-8, 0, 0), width=0.003)
    points = np.vstack([ELECTRODES, _radial_points(0.03), _radial_points(0.038)])
    reference = exact_potential(HEAD, deep, points, n_terms=400)
    errors = [
        _rel(exact_potential(HEAD, deep, points, n_terms=n), reference) for n in (5, 10, 20, 40)
    ]
    assert all(b < 0.5 * a for a, b in zip(errors, errors[1:], strict=False))
    assert errors[-1] < 1e-4
    assert _rel(exact_potential(HEAD, deep, points), reference) < 1e-10
    assert auto_terms(HEAD, Dipole(position=(0, 0, 0))) == 1


def test_series_with_equal_shells_is_the_homogeneous_sphere():
    one = ThreeShellHead(radii=(0.05,), sigmas=(0.33,))
    three = ThreeShellHead(sigmas=(0.33, 0.33, 0.33))
    points = np.vstack([ELECTRODES, _radial_points(0.02), _radial_points(0.045)])
    np.testing.assert_allclose(
        exact_potential(three, DIPOLE, points), exact_potential(one, DIPOLE, points), rtol=1e-10
    )


def test_series_refuses_points_outside_the_head_but_takes_accepted_electrodes():
    with pytest.raises(ValueError, match="outside the head"):
        exact_potential(HEAD, DIPOLE, [[0.06, 0, 0]])
    nudged = check_on_scalp(ELECTRODES * (1 + 5e-4), HEAD)
    np.testing.assert_allclose(
        exact_potential(HEAD, DIPOLE, nudged), exact_potential(HEAD, DIPOLE, ELECTRODES), rtol=0.01
    )


# --- grid solver --------------------------------------------------------------------------


def test_harmonic_face_conductivity_by_hand():
    sigma = np.zeros((4, 4, 4))
    sigma[1, 1, 1], sigma[2, 1, 1] = 1.0, 3.0
    fx, fy, _ = harmonic_face_conductivities(sigma)
    assert fx[1, 1, 1] == pytest.approx(2 * 1 * 3 / 4)
    assert fy[1, 0, 1] == 0.0


def _grid_errors(head, n, source=DIPOLE):
    solution = solve_head(head, source, n=n)
    exact = _avg(exact_potential(head, source, ELECTRODES))
    return _rel(_avg(solution.sample(ELECTRODES)), exact), solution


def test_grid_converges_on_a_homogeneous_sphere():
    one = ThreeShellHead(radii=(0.05,), sigmas=(0.33,))
    e32, _ = _grid_errors(one, 32)
    e48, _ = _grid_errors(one, 48)
    assert e48 < e32 < 0.01


def test_grid_converges_at_first_order_in_the_three_shell_head_and_richardson_removes_it():
    e24, coarse = _grid_errors(HEAD, 24)
    e48, fine = _grid_errors(HEAD, 48)
    assert 1.6 < e24 / e48 < 2.6  # first order: halving h halves the error
    extrapolated = _avg(richardson(coarse, fine, ELECTRODES))
    assert _rel(extrapolated, _avg(exact_potential(HEAD, DIPOLE, ELECTRODES))) < 0.25 * e48


def test_subvoxel_beats_the_staircase_and_is_accurate_in_the_brain():
    n = 48
    grid = VoxelGrid.around(HEAD, n)
    from pinn_inverse.eeg.grid import voxel_conductivity

    source = source_on_grid(DIPOLE, grid)
    stair = solve_grid(harmonic_face_conductivities(voxel_conductivity(HEAD, grid)), grid, source)
    sub = solve_grid(subvoxel_face_conductivities(HEAD, grid), grid, source)
    exact = exact_potential(HEAD, DIPOLE, ELECTRODES)
    ref = exact.mean()
    centers = grid.centers()
    r = np.linalg.norm(centers, axis=1)
    far = (r < HEAD.radii[0]) & (np.linalg.norm(centers - DIPOLE.position, axis=1) > 0.01)
    truth = exact_potential(HEAD, DIPOLE, centers[far]) - ref

    def brain_error(solution):
        values = solution.potential.ravel()[far] - solution.sample(ELECTRODES).mean()
        return _rel(values, truth)

    assert brain_error(sub) < 0.02
    # at the scalp the staircase is off by 13 % at 48³, the sub-voxel faces by 4.5 %
    assert _rel(_avg(sub.sample(ELECTRODES)), _avg(exact)) < 0.5 * _rel(
        _avg(stair.sample(ELECTRODES)), _avg(exact)
    )


def test_grid_solution_conserves_current_and_jacobi_agrees_with_amg():
    amg = solve_head(HEAD, DIPOLE, n=16)
    jacobi = solve_head(HEAD, DIPOLE, n=16, method="jacobi", tol=1e-8)
    assert jacobi.iterations > 20 * amg.iterations
    np.testing.assert_allclose(
        jacobi.potential, amg.potential, atol=1e-6 * np.nanmax(np.abs(amg.potential))
    )
    assert np.nanmean(amg.potential) == pytest.approx(
        0.0, abs=1e-12 * np.nanmax(np.abs(amg.potential))
    )
    with pytest.raises(ValueError, match="accepted: 'amg', 'jacobi'"):
        solve_head(HEAD, DIPOLE, n=16, method="gauss")


# --- simulate -----------------------------------------------------------------------------


def test_simulate_noise_model_reference_and_seed():
    a = simulate(HEAD, DIPOLE, ELECTRODES, noise=0.005, seed=3, grid_n=16)
    b = simulate(HEAD, DIPOLE, ELECTRODES, noise=0.005, seed=3, grid_n=16)
    assert a.noise_std == pytest.approx(0.005 * np.ptp(a.clean))
    np.testing.assert_array_equal(a.measurements, b.measurements)
    assert abs(a.measurements.mean()) < 1e-20 and abs(a.clean.mean()) < 1e-20
    assert 0.3 * a.noise_std < np.std(a.measurements - a.clean) < 3 * a.noise_std
    np.testing.assert_allclose(a.clean, _avg(exact_potential(HEAD, DIPOLE, ELECTRODES)))
    assert np.isnan(a.volume[0, 0, 0]) and np.isfinite(a.volume[8, 8, 8])


def test_simulate_grid_path_for_a_source_sink_pair_and_errors():
    sim = simulate(source=SourceSinkPair(), grid_n=24, noise=0.0)
    assert sim.solver == "grid" and np.ptp(sim.clean) > 0
    with pytest.raises(ValueError, match="compensate=True"):
        simulate(source=GaussianSource(), grid_n=16)
    with pytest.raises(ValueError, match="off the scalp"):
        simulate(electrodes=ELECTRODES * 1.1, grid_n=16)
    with pytest.raises(ValueError, match="noise must be >= 0"):
        simulate(noise=-1.0, grid_n=16)
