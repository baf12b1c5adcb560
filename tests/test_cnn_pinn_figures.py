"""The CNN + PINN tutorial's figure script runs in quick mode, and its numbers are its images'."""

import importlib.util
import json

import numpy as np
import pytest
from conftest import ROOT

SCRIPT = ROOT / "docs" / "tutorials" / "figures" / "make_cnn_pinn.py"
FIGURES = ("loss", "U", "loss_terms", "fig4")


def _script():
    spec = importlib.util.spec_from_file_location("make_cnn_pinn", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.network
def test_figure_script_quick(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    from pinn_inverse.eit.cnn_pinn.sigma_pinn import PAPER_WEIGHTS
    from pinn_inverse.eit.phantoms import KINDS
    from pinn_inverse.eit.pipeline import score

    out = tmp_path / "figures"
    _script().main(["--quick", "--out", str(out), "--cache", str(tmp_path / "cache"), "--arrays"])
    numbers = json.loads((out / "cnn_pinn.json").read_text())
    for name in FIGURES:
        path = out / f"cnn_pinn_{name}.png"
        assert numbers["figures"][name]["file"] == path.name
        assert 0 < path.stat().st_size < 150_000
    stage1, stage2 = numbers["stage1"], numbers["stage2"]
    # the page's table of weights: Table I, and the default's α = 1 and τ = 0.1
    assert stage2["weights"]["paper"] == PAPER_WEIGHTS
    assert stage2["weights"]["default"] == {**PAPER_WEIGHTS, "pde": 1.0, "tv": 0.1}
    assert stage2["formulation"] == {"default": "log", "paper": "divergence"}
    # every score on the page is its image's against the truth on the scored mask
    arrays = np.load(out / "cnn_pinn_images.npz")
    mask = arrays["mask"]
    for case in KINDS:
        for method, scored in stage2["cases"][case]["scores"].items():
            expected = score(arrays[f"{case}_{method}"], arrays[f"{case}_truth"], mask)
            assert scored == pytest.approx(expected, rel=1e-9)
    # the U-Net's history: one validation loss per epoch run, the best one at the best epoch
    history = stage1["val_history"]
    assert len(history) == stage1["epochs_run"] == stage1["config"]["epochs"]
    assert stage1["val_loss"] == pytest.approx(min(history))
    assert len(stage1["train_history"]) == stage1["epochs_run"] + 1  # epoch 0 to the last
    # the three refusals, each naming what the stage was trained for
    G = stage1["dataset"]["config"]["image_size"]
    refusals = stage1["refusals"]
    assert "trained for 16 electrodes, not 32" in refusals[0]
    assert f"predicts {G} × {G} images, not {2 * G} × {2 * G}" in refusals[1]
    assert "trained for the current pattern" in refusals[2]
