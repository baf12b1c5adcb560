"""CNN + PINN on the KTC2023 tank: the pattern g and its projection, the tank's dataset, the
refusal of a 16-electrode stage 1, and the quick path end to end on target 1."""

import json
import math

import numpy as np
import pytest

from pinn_inverse.eit import ktc, patterns
from pinn_inverse.eit.cnn_pinn import ktc as tank_ktc
from pinn_inverse.eit.image import ImageGrid
from pinn_inverse.eit.phantoms import Circle, Phantom


@pytest.fixture(scope="module")
def tank(ktc_folder):
    """The tank of the KTC2023 folder; its tests skip when the folder is absent."""
    return tank_ktc.Tank.load(ktc_folder)


def _two_inclusions(sigma0):
    """A conductive circle on the left and a resistive one on the right (m, data units)."""
    return Phantom(
        (Circle((-0.05, 0.0), 0.025, 10 * sigma0), Circle((0.05, 0.0), 0.025, sigma0 / 10)),
        background=sigma0,
    )


def test_projection_gives_the_voltages_under_g(tank):
    """P maps the 76 KTC injections' voltages to the 32 adjacent differences under g, exactly
    (g is a combination of the injections), for any σ."""
    assert tank.g.shape == (32,) and abs(tank.g.sum()) < 1e-12
    assert np.all(tank.g[1::2] == 0)  # current on the 16 injecting (odd) electrodes only
    np.testing.assert_allclose(tank.g[::2], patterns.trigonometric_pattern(16)[:, 0])
    sigma = _two_inclusions(tank.sigma0).sigma(tank.mesh.centroids)
    measured = tank.model.forward(sigma, tank.inj, tank.mpat)
    direct = patterns.adjacent_differences(32).T @ tank.model.solve(sigma, tank.g).U[:, 0]
    np.testing.assert_allclose(tank.projection @ measured, direct, rtol=0, atol=1e-9)
    # calibrated difference data of consistent (simulated) voltages are P V itself
    reference = tank.reference_voltages()
    np.testing.assert_allclose(
        tank.stage_input(measured, reference), direct, rtol=0, atol=1e-9 * np.abs(direct).max()
    )


def test_tank_dataset_shapes_and_units(tank, tmp_path):
    data = tank_ktc.tank_dataset(tank, n=20, image_size=16, n_test=4, cache_dir=tmp_path)
    assert data.config.n_electrodes == 32 and data.config.z == 1e-6
    assert data.config.sigma0 == pytest.approx(0.7228, rel=1e-3)  # the empty tank's fit
    assert data.train["dV"].shape == (18, 32) and data.val["U"].shape == (2, 16, 16)
    assert data.test["sigma"].shape == (4, 16, 16)
    sigma = np.concatenate([data.train["sigma"], data.val["sigma"]])[:, data.mask]
    # background σ₀; inclusions 5-20 times above or below it, both kinds present
    ratio = sigma / tank.sigma0
    assert np.isclose(ratio, 1, atol=1e-6).mean() > 0.6
    contrast = ratio[~np.isclose(ratio, 1, atol=1e-6)]
    assert np.all(np.abs(np.log(contrast)) > np.log(5) - 1e-6)
    assert np.all(np.abs(np.log(contrast)) < np.log(20) + 1e-6)
    assert (contrast > 1).any() and (contrast < 1).any()
    # U (V) under g: the empty tank's potential scales as 1 / σ (to 0.1 %: the contact
    # impedance does not scale with it)
    grid = ImageGrid(tank.mesh, 16)
    empty = grid.nodal(tank.model.solve(tank.sigma0, tank.g).u[:, 0])
    half = grid.nodal(tank.model.solve(2 * tank.sigma0, tank.g).u[:, 0])
    np.testing.assert_allclose(half, empty / 2, rtol=1e-3, atol=1e-3 * np.abs(empty).max())
    assert np.abs(data.train["U"]).max() == pytest.approx(np.abs(empty).max(), rel=0.5)
    # the measured empty tank's stage input is the model's empty tank
    np.testing.assert_allclose(
        data.dV_ref,
        patterns.adjacent_differences(32).T @ (tank.model.solve(tank.sigma0, tank.g).U[:, 0]),
    )
    again = tank_ktc.tank_dataset(tank, n=20, image_size=16, n_test=4, cache_dir=tmp_path)
    np.testing.assert_array_equal(again.train["dV"], data.train["dV"])  # from the cache


def test_truth_labels_and_segmentation(tank):
    grid = ImageGrid(tank.mesh, tank_ktc.SCORE_GRID)
    phantom = _two_inclusions(tank.sigma0)
    labels = tank_ktc.truth_labels(phantom, grid)
    centre = tank_ktc.SCORE_GRID // 2
    assert labels[centre, centre // 2] == 2 and labels[centre, centre + centre // 2] == 1
    sigma = np.where(grid.mask, phantom.sigma(grid.points).reshape(labels.shape), 0)
    assert ktc.ktc_score(labels, ktc.segment(sigma, grid.mask)) == pytest.approx(1.0)
    # the hinge would hold σ at or above the background: off for the tank
    assert tank_ktc.sigma_preset().weights["hinge"] == 0


@pytest.mark.network
def test_sixteen_electrode_stage_is_refused(tank, tmp_path):
    from pinn_inverse.eit.cnn_pinn import UNetConfig, cnn_pinn, train_unet
    from pinn_inverse.eit.dataset import make_dataset

    disk = make_dataset(
        n=8, n_test=0, image_size=16, h=0.3, cache_dir=tmp_path, workers=1, progress=False
    )
    config = UNetConfig(base_channels=4, depth=2, epochs=1, batch_size=4)
    stage = train_unet(disk, config, cache=None, progress=False)
    dV = tank.stage_input(tank.uref)
    with pytest.raises(ValueError, match="trained for 16 electrodes, not 32"):
        cnn_pinn(dV, stage, mesh=tank.mesh, currents=tank.g, background=tank.sigma0)


@pytest.mark.slow
@pytest.mark.network
def test_quick_run_on_target_one(tank, tmp_path):
    """``pinn-inverse run eit --ktc --quick``: CNN + PINN, NOSER and TV on target 1."""
    from pinn_inverse import cli

    out = tmp_path / "out"
    argv = ["run", "eit", "--ktc", "--quick", "--out", str(out), "--cache", str(tmp_path)]
    argv += ["--ktc-data", str(tank.folder)]
    assert cli.main(argv) == 0
    report = json.loads((out / "report.json").read_text())
    assert (out / report["figures"][0]).stat().st_size > 1000
    assert report["config"]["sigma_pinn_steps"] in (100, 200)  # chosen on validation
    assert report["validation"]["n_phantoms"] == 1
    row = report["targets"]["1"]
    assert set(row) >= {"cnn_pinn", "noser", "tv", "all_water"}
    assert all(-1 <= row[m] <= 1 and math.isfinite(row[m]) for m in ("cnn_pinn", "noser", "tv"))
    # NOSER as benchmarks/eit_ktc.py scores it (its default settings, target 1)
    assert row["noser"] == pytest.approx(0.4007, abs=2e-3)
    assert row["all_water"] < 0.02
    assert report["stage1"]["dataset"]["n_electrodes"] == 32
    np.testing.assert_allclose(report["stage1"]["currents"], tank.g)
