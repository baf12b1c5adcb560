"""ED-PINN: the SIREN network, the problem factory's checks, and a quick end-to-end run."""

import json

import deepxde as dde
import numpy as np
import pytest

from pinn_inverse import backend
from pinn_inverse.eeg import Dipole, ThreeShellHead, fibonacci_electrodes
from pinn_inverse.eeg.ed_pinn import PRESETS, ed_pinn
from pinn_inverse.eeg.evaluate import brain_points, moment_dipole, source_centroid
from pinn_inverse.eeg.simulate import simulate
from pinn_inverse.eeg.sources import dipole_potential
from pinn_inverse.eeg.sphere_series import exact_potential
from pinn_inverse.nets import SIREN
from pinn_inverse.nets.siren import siren_weights

HEAD = ThreeShellHead()
ELECTRODES = fibonacci_electrodes(32, HEAD.radius)


def test_siren_forward_matches_its_definition():
    layers, omega0 = [3, 16, 16, 2], 30.0
    net = SIREN(layers, omega0=omega0, seed=4)
    x = np.random.default_rng(0).uniform(-1, 1, (7, 3)).astype(np.float32)
    params = siren_weights(layers, omega0, 4)
    h = np.sin(omega0 * (x @ params[0][0] + params[0][1]))  # eq. (3), first layer
    h = np.sin(h @ params[1][0] + params[1][1])
    expected = h @ params[2][0] + params[2][1]
    out = dde.backend.to_numpy(net(dde.backend.as_tensor(x)))
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


def test_siren_initialisation_bounds():
    params = siren_weights([3, 128, 128, 1], 30.0, 0)
    assert np.abs(params[0][0]).max() <= 1 / 3 and np.abs(params[0][0]).max() > 0.9 / 3
    bound = np.sqrt(6 / 128)
    assert np.abs(params[1][0]).max() <= bound and np.abs(params[1][0]).max() > 0.9 * bound
    with pytest.raises(ValueError, match="hidden"):
        SIREN([3, 1])


def test_source_centroid_is_robust_to_a_dipole_and_to_spread():
    rng = np.random.default_rng(0)
    points = rng.uniform(-0.03, 0.03, (20000, 3))
    centre = np.array([0.01, -0.005, 0.0])
    current = Dipole(position=centre, moment=(0, 1e-8, 0), width=0.004).density(points)
    current += 0.05 * np.abs(current).max() * rng.normal(size=len(points))  # spread
    # the signed density integrates to zero; the half-maximum |I| centroid finds the centre
    assert np.linalg.norm(source_centroid(points, current) - centre) < 0.002


def _blob(points, centre, width):
    """A normalised Gaussian (1/m³)."""
    d2 = np.sum((points - centre) ** 2, axis=1)
    return np.exp(-d2 / (2 * width**2)) / (2 * np.pi * width**2) ** 1.5


def test_moment_dipole_recovers_a_dipole_and_ignores_non_harmonic_spread():
    points, cell_volume = brain_points(HEAD, 40)
    centre, moment = np.array([0.006, -0.011, 0.008]), np.array([3e-9, -2e-9, 5e-9])
    current = Dipole(position=centre, moment=moment, width=0.004).density(points).ravel()
    position, fitted = moment_dipole(points, current, cell_volume)
    assert np.linalg.norm(position - centre) < 1e-4
    np.testing.assert_allclose(fitted, moment, rtol=2e-3)
    # a zero-sum, spherically symmetric ring (difference of two equal-charge Gaussians)
    # elsewhere has no harmonic moment of order 1 or 2: the moment dipole does not move,
    # while the half-maximum centroid is dragged towards the ring
    ring = _blob(points, [-0.012, 0.006, 0], 0.003) - _blob(points, [-0.012, 0.006, 0], 0.005)
    spread = current + 2 * ring * np.abs(current).max() / np.abs(ring).max()
    assert np.linalg.norm(moment_dipole(points, spread, cell_volume)[0] - centre) < 5e-4
    assert np.linalg.norm(source_centroid(points, spread) - centre) > 0.005
    # a wrong sign of the moment's definition would put the dipole at −r₀
    assert np.linalg.norm(moment_dipole(points, -current, cell_volume)[0] - centre) < 1e-4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"measurements": np.full(32, np.nan)}, "NaN"),
        ({"measurements": np.ones(31)}, "31 values but there are 32 electrodes"),
        ({"electrodes": ELECTRODES * 1.2}, "off the scalp"),
        ({"mode": "magic"}, "accepted: 'known', 'free', 'dipole'"),
        ({"preset": "best"}, "unknown preset 'best'; accepted: 'paper', 'default'"),
        ({"mode": "known", "source": None}, "needs the source as a Dipole"),
    ],
)
def test_ed_pinn_rejects_bad_input(kwargs, message):
    args = {"electrodes": ELECTRODES, "measurements": np.linspace(0, 1e-6, 32)}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        ed_pinn(HEAD, **args)


def test_hard_shells_needs_two_shells():
    sphere = ThreeShellHead(radii=(0.05,), sigmas=(0.33,))
    with pytest.raises(ValueError, match="'hard-shells' needs a head of at least two shells"):
        ed_pinn(sphere, ELECTRODES, np.linspace(0, 1e-6, 32), mode="free")


def _tiny(preset, **changes):
    import dataclasses

    return dataclasses.replace(
        PRESETS[preset],
        num_domain=200,
        num_boundary=80,
        num_interface=40,
        hidden=(16, 16),
        lbfgs=0,
        **changes,
    )


@pytest.mark.network
def test_known_mode_training_reduces_every_loss_and_checkpoints_resume(tmp_path):
    sim = simulate(HEAD, Dipole(), ELECTRODES, seed=0, grid_n=16)
    problem = ed_pinn(
        HEAD, ELECTRODES, sim.measurements, source=Dipole(), mode="known", preset=_tiny("default")
    )
    history, _ = problem.train(
        iterations=40, checkpoint=tmp_path, checkpoint_every=20, progress=False
    )
    first, last = np.array(history.loss_train[0]), np.array(history.loss_train[-1])
    assert np.sum(last) < 0.5 * np.sum(first)
    record = json.loads((tmp_path / "checkpoint.json").read_text())
    assert record["step"] == 40 and (tmp_path / record["weights"]).exists()
    # a new problem resumes from the checkpoint: same predictions, no steps left to run
    again = ed_pinn(
        HEAD, ELECTRODES, sim.measurements, source=Dipole(), mode="known", preset=_tiny("default")
    )
    again.train(iterations=40, checkpoint=tmp_path, progress=False)
    np.testing.assert_allclose(
        again.predict(ELECTRODES), problem.predict(ELECTRODES), rtol=1e-5, atol=1e-12
    )
    # another problem refuses the folder instead of loading weights that are not its own
    other = ed_pinn(HEAD, ELECTRODES, sim.measurements, mode="free", preset=_tiny("default"))
    with pytest.raises(ValueError, match="mode='known' \\(this problem: 'free'\\)"):
        other.train(iterations=40, checkpoint=tmp_path, progress=False)


@pytest.mark.network
def test_dipole_mode_exposes_trainable_position_and_moment():
    sim = simulate(HEAD, Dipole(), ELECTRODES, seed=0, grid_n=16)
    problem = ed_pinn(HEAD, ELECTRODES, sim.measurements, mode="dipole", preset=_tiny("default"))
    problem.train(iterations=5, progress=False)
    position, moment = problem.fitted_dipole()
    assert position.shape == (3,) and np.all(np.isfinite(position))
    assert np.all(np.isfinite(moment)) and np.linalg.norm(moment) > 0
    with pytest.raises(ValueError, match="mode='dipole'"):
        ed_pinn(
            HEAD, ELECTRODES, sim.measurements, mode="free", preset=_tiny("paper")
        ).fitted_dipole()


def test_moment_unit_is_the_centred_dipole_that_spans_the_data_range():
    sim = simulate(HEAD, Dipole(), ELECTRODES, seed=0, grid_n=16)
    problem = ed_pinn(HEAD, ELECTRODES, sim.measurements, mode="dipole", preset=_tiny("default"))
    moment = problem.moment_unit * problem.scales.moment  # A·m
    # the series itself, not the lead field that moment_unit is computed with
    ranges = [
        np.ptp(exact_potential(HEAD, Dipole((0, 0, 0), moment * axis, 1e-4), ELECTRODES))
        for axis in np.eye(3)
    ]
    np.testing.assert_allclose(max(ranges), np.ptp(sim.measurements), rtol=1e-3)
    # the variables are in that unit: fitted_dipole converts them to metres and A·m
    for variable, value in zip(problem.variables, [0.2, 0.0, -0.1, 0.0, 1.5, 0.0], strict=True):
        backend.assign(variable, value)
    position, fitted = problem.fitted_dipole()
    np.testing.assert_allclose(position, [0.01, 0.0, -0.005], atol=1e-7)
    np.testing.assert_allclose(fitted, [0.0, 1.5 * moment, 0.0], rtol=1e-6)


@pytest.mark.network
def test_dipole_mode_data_moves_the_dipole_only_and_ignores_the_reference():
    sim = simulate(HEAD, Dipole(), ELECTRODES, seed=0, grid_n=16)
    data_only = {"pde": 0.0, "source": 0.0, "bc": 0.0, "data": 1.0, "continuity": 0.0}
    preset = _tiny("default", weights={**data_only, "flux": 0.0}, num_source=0)

    def networks(problem):  # the networks' outputs: the model's minus the primary potential
        x, v = ELECTRODES / HEAD.radius, problem._variable_values()
        primary = dipole_potential(x, v[:3], v[3:] * problem.moment_unit, problem.width)
        return problem.model.predict(x) - primary / problem.sigmas[0]

    def trained(measurements):
        problem = ed_pinn(HEAD, ELECTRODES, measurements, mode="dipole", preset=preset)
        before, start = networks(problem), problem._variable_values()
        problem.train(iterations=20, progress=False)
        return before, networks(problem), start, problem._variable_values()

    before, after, start, variables = trained(sim.measurements)
    # the data term trains the dipole (all six variables move) and not the networks
    np.testing.assert_allclose(after, before, rtol=0, atol=1e-6)
    assert np.all(np.abs(variables - start) > 1e-3)
    # it compares average-referenced potentials: an offset of the data changes nothing
    _, _, _, shifted = trained(sim.measurements + 0.3 * np.ptp(sim.measurements))
    np.testing.assert_allclose(shifted, variables, rtol=1e-4, atol=1e-6)


def test_dipole_mode_starts_from_the_best_centred_dipole():
    # data of a dipole at the centre (the series): the start is that dipole's moment
    truth = Dipole((0.0, 0.0, 0.0), (3e-9, -8e-9, 5e-9))
    sim = simulate(HEAD, truth, ELECTRODES, noise=0.0, seed=0, grid_n=16)
    problem = ed_pinn(HEAD, ELECTRODES, sim.measurements, mode="dipole", preset=_tiny("default"))
    position, moment = problem.fitted_dipole()
    np.testing.assert_allclose(position, 0.0, atol=0.0)
    np.testing.assert_allclose(moment, truth.moment, rtol=0, atol=1e-3 * 1e-8)


@pytest.mark.network
@pytest.mark.parametrize("mode", ["dipole", "free"])
def test_hard_shells_hold_the_scalp_and_outer_interface_conditions_exactly(mode):
    # at the random initial weights, where no loss term has taught them anything
    sim = simulate(HEAD, Dipole(), ELECTRODES, seed=0, grid_n=16)
    problem = ed_pinn(HEAD, ELECTRODES, sim.measurements, mode=mode, preset=_tiny("default"))
    assert problem.loss_names == ["pde_brain", "pde_outer", "data", "continuity0"] + [
        "flux0",
        "flux1",
    ]
    unit = fibonacci_electrodes(64, 1.0).astype(np.float32)

    def radial(x, y):  # x·∇φ_scalp = r ∂φ/∂r
        return sum(x[:, d : d + 1] * dde.grad.jacobian(y, x, i=2, j=d) for d in range(3))

    scalp = problem.model.predict(unit)
    derivative = np.asarray(problem.model.predict(unit, operator=radial))
    assert np.abs(derivative).max() < 1e-5 * np.abs(scalp).max()
    # the same operator just inside the scalp is not zero: the check can see a derivative
    inside = np.asarray(problem.model.predict(0.9 * unit, operator=radial))
    assert np.abs(inside).max() > 1e-2 * np.abs(scalp).max()
    skull_scalp = problem.model.predict(problem.radii[1] * unit)
    np.testing.assert_allclose(skull_scalp[:, 1], skull_scalp[:, 2], rtol=0, atol=1e-5)
    # the brain's continuity is a loss term, not exact, at initialisation
    brain_skull = problem.model.predict(problem.radii[0] * unit)
    assert np.abs(brain_skull[:, 0] - brain_skull[:, 1]).max() > 1e-2


@pytest.mark.network
def test_source_collocation_points_follow_the_trainable_dipole():
    preset = _tiny("default", num_source=300)
    sim = simulate(HEAD, Dipole(), ELECTRODES, seed=0, grid_n=16)
    problem = ed_pinn(HEAD, ELECTRODES, sim.measurements, mode="dipole", preset=preset)
    for value, variable in zip([0.2, -0.3, 0.1], problem.variables, strict=False):
        backend.assign(variable, value)
    anchors = problem.anchors()
    interface, near = anchors[: 2 * preset.num_interface], anchors[2 * preset.num_interface :]
    np.testing.assert_allclose(
        np.linalg.norm(interface, axis=1), np.repeat(problem.radii[:2], preset.num_interface)
    )
    assert len(near) == 300 and np.all(np.linalg.norm(near, axis=1) < problem.radii[0])
    # centred on the dipole, spread over two source widths (nondimensional)
    np.testing.assert_allclose(near.mean(0), [0.2, -0.3, 0.1], atol=0.03)
    np.testing.assert_allclose(near.std(0), 2 * problem.width, rtol=0.2)
    # and they are what the PDE loss sees after a training step
    problem.train(iterations=1, progress=False)
    assert len(problem.data.train_x_all) == 200 + 80 + len(anchors)


@pytest.mark.network
def test_free_mode_weighs_the_brain_residual_as_the_source_estimate():
    sim = simulate(HEAD, Dipole(), ELECTRODES, seed=0, grid_n=16)
    weights, preset = {}, _tiny("default")
    preset = _tiny("default", weights={**preset.weights, "pde": 100.0, "source": 0.5})
    for mode in ("free", "known"):
        problem = ed_pinn(
            HEAD, ELECTRODES, sim.measurements, source=Dipole(), mode=mode, preset=preset
        )
        weights[mode] = dict(zip(problem.loss_names, problem.loss_weights, strict=True))
    assert weights["free"]["pde_brain"] == 0.5
    assert weights["known"]["pde_brain"] == weights["free"]["pde_outer"] == 100.0
    # the two terms split the residual by shell: together they are eq. (1) everywhere
    x = np.array([[0.3, 0.0, 0.0], [0.75, 0.1, 0.0], [0.0, 0.0, 0.95]], dtype=np.float32)
    lap = problem.model.predict(x, operator=problem._laplacian_terms).ravel()
    brain, outer = (np.asarray(t).ravel() for t in problem.model.predict(x, operator=problem.pde))
    source = dde.backend.to_numpy(problem._source(dde.backend.as_tensor(x))).ravel()
    np.testing.assert_allclose(brain + outer, lap + source, rtol=1e-5, atol=1e-6)
    assert outer[0] == 0 and brain[1] == brain[2] == 0


@pytest.mark.network
@pytest.mark.parametrize("mode", ["free", "known", "dipole"])
def test_lbfgs_runs_the_requested_iterations(mode):
    # DeepXDE 1.15 on PyTorch ignores a maxiter below 1000 (backend.set_lbfgs_iterations);
    # known mode's output transform once broke TensorFlow's L-BFGS graph
    sim = simulate(HEAD, Dipole(), ELECTRODES, seed=0, grid_n=16)
    problem = ed_pinn(
        HEAD, ELECTRODES, sim.measurements, source=Dipole(), mode=mode, preset=_tiny("default")
    )

    class Starts(dde.callbacks.Callback):  # the trainable dipole as each stage begins
        values = []

        def on_train_begin(self):
            self.values.append(problem._variable_values())

    problem.train(iterations=3, lbfgs=4, progress=False, callbacks=[Starts()])
    # dipole mode's L-BFGS stage trains the networks on the physics; the dipole stays
    assert len(Starts.values) == 2
    np.testing.assert_array_equal(problem._variable_values(), Starts.values[1])
    # DeepXDE's PyTorch loop calls the optimiser (≤ 4 iterations each, fewer when the line
    # searches use up its evaluations) until the count reaches 4: at most 4 + 3 iterations
    assert 3 <= problem.model.train_state.step <= 3 + 4 + 3
    assert np.all(np.isfinite(problem.predict(ELECTRODES)))


@pytest.mark.slow
@pytest.mark.network
def test_cli_run_eeg_quick_trains_and_compares_with_baselines(tmp_path):
    from pinn_inverse.cli import main

    assert main(["run", "eeg", "--quick", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    methods = [row["method"] for row in report["comparison"]]
    assert any("ED-PINN" in m for m in methods) and "sLORETA (5 mm grid)" in methods
    assert report["metrics"]["ed_pinn"]["localization_error_m"] < 0.05
    assert report["timings"]["adam_step_s"] > 0
    assert report["metrics"]["grid_solver_rel_l2_electrodes"] < 0.3
    assert {"versions", "wall_time_s", "peak_memory_mb", "seed", "config"} <= report.keys()
    assert len(report["figures"]) == 5
    for name in report["figures"]:
        assert (tmp_path / name).stat().st_size > 10_000
