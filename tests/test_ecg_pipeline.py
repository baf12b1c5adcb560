"""`pinn-inverse run ecg --quick`: report, metrics and figures end to end."""

import json

from pinn_inverse.cli import main


def test_run_ecg_quick(tmp_path, tmp_path_factory, monkeypatch):
    # the cache folder test_ecg_baselines uses: the transfer matrix is built once per session
    monkeypatch.setenv("PINN_INVERSE_CACHE", str(tmp_path_factory.getbasetemp()))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    out = tmp_path / "out"
    assert main(["run", "ecg", "--quick", "--frames", "61", "--out", str(out)]) in (0, None)
    report = json.loads((out / "report.json").read_text())
    assert report["config"]["frames"] == 61 and report["config"]["sigmas"] == [0.05]
    scores = report["metrics"]["sigma=0.05"]
    assert set(scores) == {"Tikhonov 2 (L-curve)", "Tikhonov 2 (GCV)", "STRE"}
    for name, s in scores.items():
        assert 0 < s["RE"] < 0.6 and 0.7 < s["CC"] <= 1 and s["MSE"] > 0, (name, s)
    assert len(report["figures"]) == 3
    for name in report["figures"]:
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
