"""Aliev-Panfilov on the heart surface: conduction velocity, one full beat, stability, errors."""

import numpy as np
import pytest
import trimesh
from scipy.integrate import solve_ivp

from pinn_inverse.ecg.aliev_panfilov import aliev_panfilov, planar_wave_speed, reaction
from pinn_inverse.ecg.geometry import check_surface, load_default_geometry

SPHERE_RADIUS = 0.05


def activation_times(sim):
    """Time at which u first crosses 0.5 (linear interpolation between frames); NaN if never."""
    out = np.full(len(sim.u), np.nan)
    above = sim.u > 0.5
    first = np.argmax(above, axis=1)
    out[above[:, 0]] = 0.0
    rows = np.flatnonzero(above.any(axis=1) & (first > 0))
    k = first[rows]
    u0, u1 = sim.u[rows, k - 1], sim.u[rows, k]
    out[rows] = sim.t[k - 1] + (0.5 - u0) / (u1 - u0) * (sim.t[k] - sim.t[k - 1])
    return out


def measured_speed(subdivisions, D):
    mesh = trimesh.creation.icosphere(subdivisions=subdivisions, radius=SPHERE_RADIUS)
    heart = check_surface(np.asarray(mesh.vertices), np.asarray(mesh.faces))
    pole = int(np.argmax(heart.vertices[:, 2]))
    duration = 1.3 * np.pi * SPHERE_RADIUS / planar_wave_speed(D)
    sim = aliev_panfilov(heart, pole, duration=duration, n_frames=400, D=D, pacing_radius=0.01)
    theta = np.arccos(np.clip(heart.vertices[:, 2] / SPHERE_RADIUS, -1, 1))
    # between 60 and 120 degrees from the pole the front's geodesic curvature (cot θ / R)
    # averages out, so the front moves at the planar speed
    band = (theta > np.pi / 3) & (theta < 2 * np.pi / 3)
    return np.polyfit(activation_times(sim)[band], SPHERE_RADIUS * theta[band], 1)[0]


def test_conduction_velocity_converges_to_the_planar_wave_speed():
    D = 4e-5
    errors = [abs(measured_speed(s, D) / planar_wave_speed(D) - 1) for s in (3, 4)]
    assert errors[1] < errors[0] / 2.5, errors
    assert errors[1] < 0.04, errors


def test_planar_wave_speed_of_the_paper_parameters():
    # (1 − 2a) √(k D / 2) with D = 10 mm² per unit: 5.06 mm per unit
    assert planar_wave_speed(1e-5) == pytest.approx(5.0596e-3, rel=1e-4)


@pytest.fixture(scope="module")
def beat():
    heart = load_default_geometry().heart
    apex = int(np.argmin(heart.vertices[:, 2]))
    return aliev_panfilov(heart, apex)


def test_one_full_activation_recovery_cycle(beat):
    assert beat.u.shape == (1094, 661) and beat.v.shape == (1094, 661) and beat.t.shape == (661,)
    activation = activation_times(beat)
    assert np.all(np.isfinite(activation)), "every node must activate"
    # activation spreads from the apex: the last node activates well after the first
    assert activation.max() > 5 * max(activation.min(), beat.t[1])
    assert beat.u[:, -1].max() < 0.05, "every node must recover by the end of the beat"
    assert beat.u.min() >= -1e-9 and beat.u.max() <= 1 + 1e-9
    assert beat.v.min() >= 0


def test_uniform_tissue_follows_the_single_cell_ode():
    # with u uniform the Laplacian vanishes, so every node must follow eqs. (1)-(2) alone;
    # explicit Euler converges to the ODE solution at first order in dt
    mesh = trimesh.creation.icosphere(subdivisions=1, radius=SPHERE_RADIUS)
    heart = check_surface(np.asarray(mesh.vertices), np.asarray(mesh.faces))

    def rhs(_, y):
        return np.array(reaction(y[0], y[1]))

    t = np.linspace(0, 40, 81)
    ref = solve_ivp(rhs, (0, 40), [1.0, 0.0], t_eval=t, rtol=1e-10, atol=1e-12).y
    errors = []
    for dt in (0.01, 0.005):
        sim = aliev_panfilov(heart, [0], duration=40.0, n_frames=81, pacing_radius=1.0, dt=dt)
        errors.append(max(np.abs(sim.u - ref[0]).max(), np.abs(sim.v - ref[1]).max()))
    assert 1.7 < errors[0] / errors[1] < 2.3, errors
    assert errors[1] < 0.02, errors


def test_bad_input_is_refused():
    heart = load_default_geometry().heart
    with pytest.raises(ValueError, match="unstable"):
        aliev_panfilov(heart, 0, dt=5.0)
    with pytest.raises(ValueError, match="pacing_nodes"):
        aliev_panfilov(heart, 5000)
    with pytest.raises(ValueError, match="positive"):
        aliev_panfilov(heart, 0, D=-1.0)
    with pytest.raises(TypeError, match="Surface"):
        aliev_panfilov(heart.vertices, 0)
