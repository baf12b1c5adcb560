"""The script behind the tutorial "EAND-ARN step by step" runs in quick mode, so that the page's
figures and numbers cannot rot."""

import importlib.util
import json

import pytest
from conftest import ROOT

SCRIPT = ROOT / "docs" / "tutorials" / "figures" / "make_eand_arn.py"


@pytest.mark.network
def test_tutorial_script_quick(tmp_path, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("PINN_INVERSE_CACHE", str(tmp_path_factory.getbasetemp()))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    spec = importlib.util.spec_from_file_location("make_eand_arn", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    report = module.main(["--quick", "--out", str(tmp_path)])
    assert json.loads((tmp_path / "eand_arn.json").read_text())["scores"] == report["scores"]
    assert report["frames"] == 61 and report["preset"]["iterations"] == 30
    for name in report["figures"]:
        png = (tmp_path / name).read_bytes()
        assert png[:4] == b"\x89PNG" and len(png) < 150_000, name
    # the baselines do not depend on the backend: measured 0.3002 and 0.2083 at 61 frames
    assert report["scores"]["Tikhonov 2 (L-curve)"]["re"] == pytest.approx(0.3002, abs=1e-3)
    assert report["scores"]["STRE"]["re"] == pytest.approx(0.2083, abs=1e-3)
    # the STND operators nearly solve Aliev-Panfilov on the truth: mean squares 0.0018 and
    # 0.0003 with τ = 1 (61 frames); -L gives 0.011, 2 L 0.0053, Dt / 2 0.0042 and 0.0059
    residuals = report["truth_residuals"]
    assert residuals["r_u"] < 0.003 and residuals["r_v"] < 0.001
    terms = report["loss_terms"]
    assert 0.9 < terms["init_data"] < 1.7 and terms["final_data"] < terms["init_data"]
