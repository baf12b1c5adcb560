"""The ``cnn_pinn`` sweep runner (:mod:`pinn_inverse.eit.study`): its data, quick run and checks."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

from pinn_inverse import metrics, sweep
from pinn_inverse.eit import patterns
from pinn_inverse.eit.fem import ForwardModel
from pinn_inverse.eit.image import ImageGrid
from pinn_inverse.eit.mesh import disk_mesh
from pinn_inverse.eit.phantoms import Circle, Phantom
from pinn_inverse.eit.study import METHODS, SCORES, Setup, reconstruct, run

TIMINGS = ("unet_train_s", "stage1_s", "run_s", "cnn_pinn_step_s", "oracle_step_s")
TIMINGS += tuple(f"{m}_s" for m in METHODS)


@pytest.fixture(scope="session")
def cache(tmp_path_factory):
    """One stage-1 cache for the session (tests/test_eit_pipeline.py uses the same folder)."""
    return tmp_path_factory.getbasetemp() / "eit_cnn_pinn_cache"


def _setup(h_train=0.1, size=16):
    """A Setup for a stage 1 trained on h = ``h_train``: only its record and mask are read."""
    mesh = disk_mesh(16, h=h_train)
    stage = SimpleNamespace(
        record={"dataset": {"n_electrodes": 16, "image_size": size, "h": h_train, "z": 0.01}},
        mask=ImageGrid(mesh, size).mask,
    )
    return Setup.build(stage, 0.06, 0.1)


PHANTOM = Phantom((Circle((0.3, -0.2), 0.3, 4.0),))


def test_data_are_stage_one_data_on_a_finer_mesh():
    setup = _setup()
    rng = np.random.default_rng(0)
    data = setup.simulate(PHANTOM, 300.0, rng)  # 300 dB: the noiseless data
    # the same phantom on stage 1's (training) mesh: ΔV under g and the U image agree to the
    # discretisation error (ΔV: 2.1 % between h = 0.06 and 0.1), and U is zero off its mask
    coarse = ForwardModel(disk_mesh(16, h=0.1), z=0.01)
    solution = coarse.solve(PHANTOM.sigma(coarse.mesh.centroids), patterns.trigonometric_pattern())
    dV = patterns.adjacent_differences().T @ solution.U[:, 0]
    assert np.linalg.norm(data["dV"] - dV) / np.linalg.norm(dV) < 0.03
    U = ImageGrid(coarse.mesh, 16).nodal(solution.u[:, 0])
    assert metrics.rel_l2(data["U"], U, setup.mesh_mask) < 0.02
    assert np.all(data["U"][~setup.mesh_mask] == 0)
    # the truth: 4 S/m inside the circle, 1 outside, 0 off the scored mask
    inside = np.linalg.norm(setup.grid.points - [0.3, -0.2], axis=1).reshape(16, 16) < 0.3
    assert np.all(data["sigma"][setup.mask & inside] == 4.0)
    assert np.all(data["sigma"][setup.mask & ~inside] == 1.0)
    assert np.all(data["sigma"][~setup.mask] == 0)


def test_noise_is_at_the_snr_of_the_voltage_change():
    setup = _setup()
    clean = setup.simulate(PHANTOM, 300.0, np.random.default_rng(0))
    ratios = []
    for seed in range(20):
        noisy = setup.simulate(PHANTOM, 20.0, np.random.default_rng(seed))
        change = np.sqrt(np.mean((clean["v"] - setup.v_ref) ** 2))
        ratios.append(np.sqrt(np.mean((noisy["v"] - clean["v"]) ** 2)) / change)
    assert np.mean(ratios) == pytest.approx(10 ** (-20 / 20), rel=0.05)


@pytest.mark.network
def test_the_oracle_trains_on_the_true_potential_on_stage_one_mask():
    from pinn_inverse.eit.cnn_pinn import SIGMA_PRESETS

    setup = _setup()
    data = setup.simulate(PHANTOM, 20.0, np.random.default_rng(0))
    preset = SIGMA_PRESETS["default"].quick()
    images, problems = reconstruct(setup, None, data, ("oracle",), preset, 1, 0)
    assert list(problems) == ["oracle"] and problems["oracle"].oracle
    np.testing.assert_array_equal(problems["oracle"].U, data["U"])
    np.testing.assert_array_equal(problems["oracle"].mask, setup.mesh_mask)
    image, seconds = images["oracle"]
    assert image.shape == (16, 16) and np.all(image[~setup.mesh_mask] == 0) and seconds > 0


@pytest.mark.network
def test_quick_run_scores_every_method_and_is_seeded(cache):
    kwargs = dict(seed=0, case="two_circles", n_phantoms=1, iterations=20, quick=True)
    out = run(**kwargs, cache=str(cache))
    for m in METHODS:
        for s in SCORES:
            assert math.isfinite(out[f"{m}_{s}_mean"]), (m, s)
            assert out[f"{m}_{s}_std"] == 0  # one phantom
        assert out[f"{m}_rie_mean"] > 0 and out[f"{m}_ssim_mean"] <= 1
    # NOSER and TV localise the inclusions: the data, truth and mask line up
    assert out["noser_cc_mean"] > 0.5 and out["tv_cc_mean"] > 0.5
    assert 0 < out["unet_rel_l2"] < 1 and 0 < out["unet_test_rel_l2"] < 1
    assert out["image_size"] == 16 and out["n_phantoms"] == 1
    assert out["cnn_pinn_step_s"] > 0 and out["oracle_step_s"] > 0
    # the same seed again (stage 1 from the cache): the same scores
    again = run(**kwargs, cache=str(cache))
    assert {k: v for k, v in again.items() if k not in TIMINGS} == pytest.approx(
        {k: v for k, v in out.items() if k not in TIMINGS}, rel=1e-6, abs=1e-9
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"case": "square"}, "unknown case .square.; accepted: .circle"),
        ({"n_phantoms": 0}, "n_phantoms"),
        ({"snr_db": -1.0}, "snr_db"),
        ({"iterations": 0}, "iterations"),
    ],
)
def test_bad_settings_are_refused_before_any_work(kwargs, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        run(**kwargs, cache=str(tmp_path))
    assert not any(tmp_path.iterdir())


def test_unknown_unet_preset_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown unet .huge.; accepted: .cpu"):
        run(unet="huge", cache=str(tmp_path))


def test_cnn_pinn_runner_is_built_in_and_its_signature_checked():
    grid = {"case": ["circle", "two_circles"], "backend": ["tensorflow"], "quick": [True]}
    spec = sweep.load_spec({"runner": "cnn_pinn", "grid": grid, "seeds": [0, 1]})
    assert spec.runner == "pinn_inverse.eit.study:run"
    assert len(spec.cells()) == 4
    with pytest.raises(ValueError, match="does not accept width"):
        sweep.load_spec({"runner": "cnn_pinn", "grid": {"width": [64]}, "seeds": [0]})
