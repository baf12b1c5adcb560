"""ED-PINN: the factory's checks, its physics on analytic fields, its collocation points,
its source modes, training and resuming, and a quick end-to-end run."""

import json

import deepxde as dde
import numpy as np
import pytest

from pinn_inverse import backend
from pinn_inverse.eeg import Dipole, ThreeShellHead, fibonacci_electrodes
from pinn_inverse.eeg.ed_pinn import PRESETS, ed_pinn
from pinn_inverse.eeg.ed_pinn.physics import compose_hard_shells, neumann_map
from pinn_inverse.eeg.evaluate import brain_points, moment_dipole, source_centroid
from pinn_inverse.eeg.simulate import simulate
from pinn_inverse.eeg.sources import dipole_potential
from pinn_inverse.eeg.sphere_series import exact_potential
from pinn_inverse.nets import SIREN
from pinn_inverse.nets.siren import siren_weights
from pinn_inverse.training import Stage

HEAD = ThreeShellHead()
ELECTRODES = fibonacci_electrodes(32, HEAD.radius)


@pytest.fixture(scope="module")
def sim():
    return simulate(HEAD, Dipole(), ELECTRODES, seed=0, grid_n=16)


def tiny(**changes):
    """The default recipe at test sizes: its quick variant, smaller still."""
    sizes = {"num_domain": 200, "num_boundary": 80, "num_interface": 40, "hidden": (16, 16)}
    return PRESETS["default"].quick().replace(**{**sizes, **changes})


def build(sim, mode="free", **changes):
    source = Dipole() if mode == "known" else None
    return ed_pinn(HEAD, ELECTRODES, sim.measurements, source, mode, tiny(**changes))


# --- the factory and its presets (no network) ------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"measurements": np.full(32, np.nan)}, "NaN"),
        ({"measurements": np.ones(31)}, "31 values but there are 32 electrodes"),
        ({"electrodes": ELECTRODES * 1.2}, "off the scalp"),
        ({"mode": "magic"}, "accepted: 'known', 'free', 'dipole'"),
        ({"preset": "best"}, "unknown preset 'best'; accepted: 'paper', 'default'"),
        ({"mode": "known", "source": None}, "needs the source as a Dipole"),
        ({"preset": PRESETS["default"].replace(num_interface=0)}, "num_interface >= 1"),
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


def test_quick_keeps_the_recipe_and_shrinks_the_sizes():
    default, quick = PRESETS["default"], PRESETS["default"].quick()
    assert (quick.formulation, quick.weights, quick.hidden) == (
        default.formulation,
        default.weights,
        default.hidden,
    )
    assert (quick.num_domain, quick.iterations, quick.lbfgs) == (400, 60, 0)
    assert [s.optimizer for s in default.stages()] == ["adam", "L-BFGS"]
    assert [s.steps for s in quick.stages()] == [60]


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


# --- the physics on analytic fields (both backends) -----------------------------------------


def _in_shell(rng, n, low, high):
    """n points uniform in the shell low < r < high (nondimensional)."""
    points = rng.standard_normal((n, 3))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points * rng.uniform(low, high, (n, 1))


@pytest.mark.network
def test_the_smoothed_dipole_primary_solves_the_pde_with_its_own_source(sim):
    # φ̃ = φ̃₀/σ̃₀ in every shell: σ̃₀Δφ̃ = −Ĩ in the brain, harmonic (Ĩ ≈ 0) outside it
    problem = build(sim, "known")
    mode = problem.source_mode
    x = mode.position + 2 * mode.width * np.random.default_rng(0).standard_normal((800, 3))
    x = np.vstack(
        [x[np.linalg.norm(x, axis=1) < 0.65], _in_shell(np.random.default_rng(1), 300, 0.72, 0.98)]
    )

    def primary(x):
        p = mode.primary(x)
        return backend.concat([p, p, p], axis=1)

    brain, outer = backend.apply_operator(problem.pde, primary, x)
    density = np.abs(np.asarray(mode.density(x))).max()
    # a flipped source sign or a lost factor leaves a residual of the density's size
    assert np.abs(brain).max() < 1e-5 * density and np.abs(outer).max() < 1e-5 * density
    lap = backend.apply_operator(problem.laplacian_terms, primary, x)
    np.testing.assert_allclose(np.abs(lap).max(), density, rtol=0.02)


@pytest.mark.network
def test_source_estimate_of_the_primary_is_the_dipole_density_in_si_units(sim):
    # a network whose output is the true primary potential (nondimensional, every shell):
    # I_est = −∇·(σ∇φ̂) must be Dipole.density in A/m³
    problem = build(sim, "free")
    known = build(sim, "known").source_mode
    problem.net.apply_output_transform(
        lambda x, y: 0.0 * y + backend.concat([known.primary(x)] * 3, axis=1)
    )
    source = Dipole()
    rng = np.random.default_rng(2)
    points = np.asarray(source.position) + 2 * source.width * rng.standard_normal((400, 3))
    points = points[np.linalg.norm(points, axis=1) < HEAD.radii[0]]
    expected = source.density(points).ravel()
    estimate = problem.source_estimate(points)
    np.testing.assert_allclose(estimate, expected, rtol=0, atol=1e-4 * np.abs(expected).max())


HARMONIC = [  # a harmonic polynomial per shell, and their Laplacian-6 sibling
    lambda x: x[:, 0:1] ** 2 - x[:, 1:2] ** 2 + 0.5 * x[:, 2:3],
    lambda x: x[:, 0:1] * x[:, 1:2] + 2.0 * x[:, 1:2] * x[:, 2:3],
    lambda x: 3.0 * x[:, 2:3] ** 2 - (x[:, 0:1] ** 2 + x[:, 1:2] ** 2 + x[:, 2:3] ** 2),
]


def _r2(x):
    return x[:, 0:1] ** 2 + x[:, 1:2] ** 2 + x[:, 2:3] ** 2


@pytest.mark.network
def test_the_pde_is_zero_on_harmonic_fields_and_six_sigma_on_r_squared(sim):
    problem = build(sim, "free", formulation="shells")
    radii, sigmas = problem.radii, np.asarray(HEAD.sigmas) / HEAD.sigmas[0]
    rng = np.random.default_rng(3)
    shells = [(0.0, radii[0]), (radii[0], radii[1]), (radii[1], 1.0)]
    x = np.vstack([_in_shell(rng, 100, lo + 1e-3, hi - 1e-3) for lo, hi in shells])
    shell = np.repeat([0, 1, 2], 100)

    def harmonic(x):
        return backend.concat([h(x) for h in HARMONIC], axis=1)

    brain, outer = backend.apply_operator(problem.pde, harmonic, x)
    assert np.abs(brain + outer).max() < 1e-4
    # Δ|x|² = 6: the residual is 6 σ̃ of the shell each point lies in (brain or outer term)
    brain, outer = backend.apply_operator(
        problem.pde, lambda x: backend.concat([_r2(x)] * 3, axis=1), x
    )
    np.testing.assert_allclose((brain + outer).ravel(), 6 * sigmas[shell], rtol=1e-4)
    assert np.all(outer.ravel()[shell == 0] == 0) and np.all(brain.ravel()[shell > 0] == 0)


@pytest.mark.network
def test_interface_flux_terms_see_the_radial_current_jump(sim):
    # φ̃_k = a_k r²: σ̃_k ∂φ̃_k/∂r = 2 a_k σ̃_k R at the interface of radius R
    problem = build(sim, "free", formulation="shells")
    sigmas = np.asarray(HEAD.sigmas) / HEAD.sigmas[0]
    a = np.array([1.0, -2.0, 0.5])
    conditions = dict(zip(problem.loss_names[4:], problem.data.bcs[2:], strict=True))
    for k, radius in enumerate(problem.radii[:2]):
        points = conditions[f"flux{k}"].points
        np.testing.assert_allclose(np.linalg.norm(points, axis=1), radius, rtol=1e-6)
        flux, continuity = (
            backend.apply_operator(
                lambda x, y, c=conditions[name]: c.func(x, y, None),
                lambda x: backend.concat([float(ak) * _r2(x) for ak in a], axis=1),
                points,
            )
            for name in (f"flux{k}", f"continuity{k}")
        )
        jump = 2 * radius * (a[k] * sigmas[k] - a[k + 1] * sigmas[k + 1])
        np.testing.assert_allclose(flux.ravel(), jump, rtol=1e-4)
        np.testing.assert_allclose(continuity.ravel(), (a[k] - a[k + 1]) * radius**2, rtol=1e-4)


def test_hard_shells_composition_is_exact_on_numpy_fields():
    # the composition itself, without a network: the scalp output at ξ and the skull ramp
    radii = np.array([0.7, 0.8, 1.0])
    rng = np.random.default_rng(4)
    x = _in_shell(rng, 50, 0.0, 1.0)
    y = rng.standard_normal((50, 3))
    out = compose_hard_shells(x, y, radii, brain_primary=2.0, scalp_primary=3.0)
    np.testing.assert_allclose(out[:, 2], y[:, 2] + 3.0)
    r = np.linalg.norm(x, axis=1)
    np.testing.assert_allclose(out[:, 1], out[:, 2] + (r - 0.8) / 0.1 * y[:, 1])
    np.testing.assert_allclose(out[:, 0], y[:, 0] + 2.0)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    np.testing.assert_allclose(neumann_map(unit), unit)  # ξ = x on the scalp


@pytest.mark.network
@pytest.mark.parametrize("mode", ["dipole", "free"])
def test_hard_shells_hold_the_scalp_and_outer_interface_conditions_exactly(sim, mode):
    # at the random initial weights, where no loss term has taught them anything
    problem = build(sim, mode)
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
def test_siren_forward_matches_its_definition():
    layers, omega0 = [3, 16, 16, 2], 30.0
    net = SIREN(layers, omega0=omega0, seed=4)
    x = np.random.default_rng(0).uniform(-1, 1, (7, 3)).astype(np.float32)
    params = siren_weights(layers, omega0, 4)
    h = np.sin(omega0 * (x @ params[0][0] + params[0][1]))  # eq. (3), first layer
    h = np.sin(h @ params[1][0] + params[1][1])
    expected = h @ params[2][0] + params[2][1]
    out = backend.to_numpy(net(backend.as_tensor(x)))
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


# --- collocation points ----------------------------------------------------------------------


def _shared(a, b):
    """How many points (rows) of ``a`` are also points of ``b``."""
    return len({tuple(row) for row in a} & {tuple(row) for row in b})


@pytest.mark.network
def test_collocation_points_are_redrawn_and_the_seed_sets_them_all(sim):
    # the defect this replaces: DeepXDE's default Hammersley sequence gave the same points
    # after every "resampling" and for every seed (all but the source points)
    problem = ed_pinn(HEAD, ELECTRODES, sim.measurements, preset=tiny(), seed=0)
    interface = problem.data.bcs[1].points.copy()  # continuity0, on the brain's surface
    before = problem.data.train_x_all.copy()
    problem.train(iterations=1, progress=False)
    after = problem.data.train_x_all
    assert before.shape == after.shape and _shared(after, before) == 0
    assert _shared(problem.data.bcs[1].points, interface) == 0
    np.testing.assert_allclose(
        np.linalg.norm(problem.data.bcs[1].points, axis=1), problem.radii[0], rtol=1e-6
    )
    other = ed_pinn(HEAD, ELECTRODES, sim.measurements, preset=tiny(), seed=1)
    assert _shared(other.data.train_x_all, before) == 0
    same = ed_pinn(HEAD, ELECTRODES, sim.measurements, preset=tiny(), seed=0)
    np.testing.assert_array_equal(same.data.train_x_all, before)
    # a period of 3: unchanged after step 1
    slow = build(sim, "free", resample_period=3)
    start = slow.data.train_x_all.copy()
    slow.train(iterations=1, progress=False)
    np.testing.assert_array_equal(slow.data.train_x_all, start)


@pytest.mark.network
def test_source_points_follow_the_trainable_dipole(sim):
    problem = build(sim, "dipole", num_source=300)
    for value, variable in zip([0.2, -0.3, 0.1], problem.variables, strict=False):
        backend.assign(variable, value)
    problem.trainer.resampler.resample(problem.data)
    near = problem.data.anchors
    assert len(near) == 300 and np.all(np.linalg.norm(near, axis=1) < problem.radii[0])
    # centred on the dipole, spread over two source widths (nondimensional)
    np.testing.assert_allclose(near.mean(0), [0.2, -0.3, 0.1], atol=0.03)
    np.testing.assert_allclose(near.std(0), 2 * problem.source_mode.width, rtol=0.2)
    np.testing.assert_array_equal(problem.data.train_x_all[:300], near)  # the PDE sees them


# --- source modes ----------------------------------------------------------------------------


@pytest.mark.network
def test_free_mode_weighs_the_brain_residual_as_the_source_estimate(sim):
    weights = {}
    for mode in ("free", "known"):
        preset = tiny()
        preset = preset.replace(weights={**preset.weights, "pde": 100.0, "source": 0.5})
        problem = ed_pinn(HEAD, ELECTRODES, sim.measurements, Dipole(), mode, preset)
        weights[mode] = dict(zip(problem.loss_names, problem.loss_weights, strict=True))
    assert weights["free"]["pde_brain"] == 0.5
    assert weights["known"]["pde_brain"] == weights["free"]["pde_outer"] == 100.0
    assert problem.model.loss_weights[:2] == [100.0, 100.0]


@pytest.mark.network
def test_moment_unit_is_the_centred_dipole_that_spans_the_data_range(sim):
    problem = build(sim, "dipole")
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
    with pytest.raises(ValueError, match="mode='dipole'"):
        build(sim, "free").fitted_dipole()


@pytest.mark.network
def test_dipole_mode_starts_from_the_best_centred_dipole():
    # data of a dipole at the centre (the series): the start is that dipole's moment
    truth = Dipole((0.0, 0.0, 0.0), (3e-9, -8e-9, 5e-9))
    sim = simulate(HEAD, truth, ELECTRODES, noise=0.0, seed=0, grid_n=16)
    problem = ed_pinn(HEAD, ELECTRODES, sim.measurements, mode="dipole", preset=tiny())
    position, moment = problem.fitted_dipole()
    np.testing.assert_allclose(position, 0.0, atol=0.0)
    np.testing.assert_allclose(moment, truth.moment, rtol=0, atol=1e-3 * 1e-8)


@pytest.mark.network
def test_dipole_mode_data_moves_the_dipole_only_and_ignores_the_reference(sim):
    data_only = {"pde": 0.0, "source": 0.0, "bc": 0.0, "data": 1.0, "continuity": 0.0}
    preset = tiny(weights={**data_only, "flux": 0.0}, num_source=0)

    def networks(problem):  # the networks' outputs: the model's minus the primary potential
        x, v = ELECTRODES / HEAD.radius, problem.source_mode.values()
        width, sigma0 = problem.source_mode.width, problem.source_mode.sigma0
        primary = dipole_potential(x, v[:3], v[3:] * problem.moment_unit, width)
        return problem.model.predict(x) - primary / sigma0

    def trained(measurements):
        problem = ed_pinn(HEAD, ELECTRODES, measurements, mode="dipole", preset=preset)
        before, start = networks(problem), problem.source_mode.values()
        problem.train(iterations=20, progress=False)
        return before, networks(problem), start, problem.source_mode.values()

    before, after, start, variables = trained(sim.measurements)
    # the data term trains the dipole (all six variables move) and not the networks
    np.testing.assert_allclose(after, before, rtol=0, atol=1e-6)
    assert np.all(np.abs(variables - start) > 1e-3)
    # it compares average-referenced potentials: an offset of the data changes nothing
    _, _, _, shifted = trained(sim.measurements + 0.3 * np.ptp(sim.measurements))
    np.testing.assert_allclose(shifted, variables, rtol=1e-4, atol=1e-6)


# --- training ---------------------------------------------------------------------------------


@pytest.mark.network
def test_lbfgs_runs_and_dipole_mode_keeps_it_off_the_data(sim):
    # DeepXDE 1.15 on PyTorch ignores a maxiter below 1000 (backend.set_lbfgs_iterations);
    # an output transform that adds the primary potential once broke TensorFlow's L-BFGS
    # graph (one mode only: each costs about a minute to trace on TensorFlow)
    problem = build(sim, "dipole")
    problem.train(iterations=3, lbfgs=4, progress=False)
    adam, lbfgs = problem.trainer.timings
    assert adam["steps"] == 3 and 1 <= lbfgs["steps"] <= 4 + 3
    assert problem.trainer.done == 7
    history = problem.trainer.history
    assert history[-1]["loss"] != history[-2]["loss"]  # L-BFGS moved the networks
    # the stage rule: physics only, the dipole where Adam left it
    assert problem.model.loss_weights[problem.loss_names.index("data")] == 0.0
    assert problem.model.external_trainable_variables == []
    stage = problem.compile(Stage("L-BFGS", 5))  # a user taking over gets the same
    assert stage.weights == {"data": 0.0} and not stage.variables
    assert np.all(np.isfinite(problem.predict(ELECTRODES)))


class _Interrupt(dde.callbacks.Callback):
    def __init__(self, problem, at):
        super().__init__()
        self.problem, self.at = problem, at

    def on_epoch_end(self):
        if self.problem.trainer.done == self.at:
            raise KeyboardInterrupt


@pytest.mark.network
def test_a_resumed_run_ends_where_an_uninterrupted_one_does(sim, tmp_path):
    straight = build(sim, "free")
    straight.train(iterations=8, lbfgs=2, progress=False)
    interrupted = build(sim, "free")
    with pytest.raises(KeyboardInterrupt):
        interrupted.train(
            iterations=8,
            lbfgs=2,
            checkpoint=tmp_path,
            checkpoint_every=3,
            progress=False,
            callbacks=[_Interrupt(interrupted, 5)],
        )
    assert json.loads((tmp_path / "checkpoint.json").read_text())["done"] == 3
    resumed = build(sim, "free")
    resumed.train(iterations=8, lbfgs=2, checkpoint=tmp_path, checkpoint_every=3, progress=False)
    assert resumed.trainer.done == 10
    np.testing.assert_allclose(
        resumed.predict(ELECTRODES), straight.predict(ELECTRODES), rtol=1e-4, atol=1e-12
    )
    # another recipe refuses the folder instead of loading weights that are not its own
    with pytest.raises(ValueError, match="mode: 'free' in the checkpoint, 'known' here"):
        build(sim, "known").train(iterations=8, lbfgs=2, checkpoint=tmp_path, progress=False)


@pytest.mark.slow
@pytest.mark.network
def test_cli_run_eeg_quick_trains_and_compares_with_baselines(tmp_path):
    from pinn_inverse.cli import main

    assert main(["run", "eeg", "--quick", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    methods = [row["method"] for row in report["comparison"]]
    assert any("ED-PINN" in m for m in methods) and "sLORETA (5 mm grid)" in methods
    training = report["training"]
    assert training["steps"] == 60 and training["adam_step_s"] > 0
    assert [s["optimizer"] for s in training["schedule"]] == ["adam"]
    # 60 quick steps fit the data better than a constant would (relative misfit 1)
    assert report["metrics"]["ed_pinn"]["rel_l2_data_fit"] < 0.9
    assert report["metrics"]["grid_solver_rel_l2_electrodes"] < 0.3
    assert {"versions", "wall_time_s", "peak_memory_mb", "seed", "config"} <= report.keys()
    assert len(report["figures"]) == 5
    for name in report["figures"]:
        assert (tmp_path / name).stat().st_size > 10_000
