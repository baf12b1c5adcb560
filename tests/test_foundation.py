"""The package's shared parts: validation, atomic I/O, backend choice, metrics, CLI."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from pinn_inverse import io, metrics, validation
from pinn_inverse.backend import SUPPORTED, backend_name, set_backend
from pinn_inverse.cli import _requested_backend


def test_as_array_names_the_argument_and_the_problem():
    with pytest.raises(ValueError, match=r"x contains 1 NaN"):
        validation.as_array([1.0, np.nan], "x")
    with pytest.raises(ValueError, match=r"points must have shape \(N, 3\), got \(4, 2\)"):
        validation.as_points(np.zeros((4, 2)), "points")
    with pytest.raises(TypeError, match="numeric"):
        validation.as_array("abc", "x")
    assert validation.as_points([1, 2, 3], "p").shape == (1, 3)


def test_choice_positive_increasing_int():
    with pytest.raises(ValueError, match="accepted: 'a', 'b'"):
        validation.check_choice("c", "mode", ["a", "b"])
    with pytest.raises(ValueError, match="strictly positive"):
        validation.check_positive([1.0, 0.0], "sigma")
    with pytest.raises(ValueError, match="strictly increasing"):
        validation.check_increasing([1.0, 1.0], "radii")
    with pytest.raises(TypeError):
        validation.check_int(True, "n")
    with pytest.raises(ValueError, match=">= 2"):
        validation.check_int(1, "n", minimum=2)


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "a.json"
    io.write_json(target, {"x": np.float64(1.5), "y": np.arange(3)})
    assert json.loads(target.read_text()) == {"x": 1.5, "y": [0, 1, 2]}
    with pytest.raises(RuntimeError), io.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert json.loads(target.read_text())["x"] == 1.5
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]
    plain = tmp_path / "plain.txt"
    plain.write_text("x")  # what open() gives: 0666 less the umask, not a temp file's 0600
    assert target.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777


def test_cache_integrity_detects_corruption(tmp_path):
    path = tmp_path / "c.npz"
    io.save_arrays(path, a=np.arange(5.0))
    np.testing.assert_array_equal(io.load_arrays(path)["a"], np.arange(5.0))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="cache file"):
        io.load_arrays(path)


@pytest.mark.network
def test_backend_is_supported_and_others_are_refused():
    assert backend_name() in SUPPORTED
    with pytest.raises(ValueError, match="accepted: 'tensorflow', 'pytorch'"):
        set_backend("jax")


def test_metrics_against_hand_values():
    truth = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]])
    assert metrics.re(2 * truth, truth) == pytest.approx(1.0)
    assert metrics.mse(truth + 0.5, truth) == pytest.approx(0.25)
    # eq. (20) centres each node's time series: an offset per node does not change CC
    assert metrics.cc(truth + np.array([[5.0], [-3.0]]), truth) == pytest.approx(1.0)
    assert metrics.cc(-truth, truth) == pytest.approx(-1.0)
    assert metrics.rel_l2([3.0, 4.0], [0.0, 5.0]) == pytest.approx(np.sqrt(9 + 1) / 5)
    assert metrics.localization_error([0, 0, 0.003], [0, 0.004, 0]) == pytest.approx(0.005)
    image = np.outer(np.linspace(0, 1, 16), np.linspace(1, 2, 16))
    assert metrics.ssim(image, image, data_range=2.0) == pytest.approx(1.0)
    assert metrics.ssim(image[::-1], image, data_range=2.0) < 0.9
    assert metrics.pearson_cc(3 * image + 1, image) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="shape"):
        metrics.re(truth[:, :2], truth)


def test_cli_info_reports_backend_and_threads():
    out = subprocess.run(
        [sys.executable, "-m", "pinn_inverse.cli", "info"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "deepxde" in out and "cpu_threads" in out
    assert f"backend: {backend_name()}" in out


@pytest.mark.network  # selects the other backend from each one
def test_cli_backend_option_selects_the_backend():
    # the pipelines import DeepXDE when the parser is built: --backend must be set before
    other = next(name for name in SUPPORTED if name != backend_name())
    out = subprocess.run(
        [sys.executable, "-m", "pinn_inverse.cli", "--backend", other, "info"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert f"backend: {other}" in out
    assert _requested_backend(["run", "eeg", "--quick", "--backend", "pytorch"]) == "pytorch"
    assert _requested_backend(["run", "eeg", "--quick"]) is None


def test_unsupported_dde_backend_gets_a_clear_error():
    proc = subprocess.run(
        [sys.executable, "-m", "pinn_inverse.cli", "info"],
        capture_output=True,
        text=True,
        env={**os.environ, "DDE_BACKEND": "paddle"},
    )
    assert proc.returncode != 0
    assert "'paddle' is not supported" in proc.stderr and "tensorflow, pytorch" in proc.stderr


def test_cli_refuses_an_unknown_backend():
    proc = subprocess.run(
        [sys.executable, "-m", "pinn_inverse.cli", "--backend", "jax", "info"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0 and "tensorflow" in proc.stderr
