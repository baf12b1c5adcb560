"""`pinn-inverse run ecg --quick`: report, metrics and figures end to end, with and without the
network method."""

import json

import pytest

from pinn_inverse.cli import main

BASELINES = {"Tikhonov 2 (L-curve)", "Tikhonov 2 (GCV)", "STRE"}


@pytest.fixture(autouse=True)
def environment(tmp_path_factory, monkeypatch):
    # the cache folder test_ecg_baselines uses: the transfer matrix is built once per session
    monkeypatch.setenv("PINN_INVERSE_CACHE", str(tmp_path_factory.getbasetemp()))
    monkeypatch.setenv("MPLBACKEND", "Agg")


def _check_figures(out, report, n):
    assert len(report["figures"]) == n
    for name in report["figures"]:
        assert (out / name).read_bytes()[:4] == b"\x89PNG"


def test_run_ecg_quick(tmp_path):
    out = tmp_path / "out"
    argv = ["run", "ecg", "--quick", "--method", "none", "--frames", "61", "--out", str(out)]
    argv += ["--sigma", "0.05"]  # --sigma kept, as --noise
    assert main(argv) in (0, None)
    report = json.loads((out / "report.json").read_text())
    assert report["config"]["frames"] == 61 and report["config"]["sigmas"] == [0.05]
    scores = report["metrics"]["sigma=0.05"]
    assert set(scores) == BASELINES
    for name, s in scores.items():
        assert 0 < s["RE"] < 0.6 and 0.7 < s["CC"] <= 1 and s["MSE"] > 0, (name, s)
    _check_figures(out, report, 4)  # heart maps, activation maps, time course, L-curve


@pytest.mark.network
def test_run_ecg_quick_with_eand_arn(tmp_path):
    out = tmp_path / "out"
    argv = ["run", "ecg", "--quick", "--frames", "21", "--noise", "0.01", "--out", str(out)]
    assert main([*argv, "--derivatives", "nd", "--net", "NN2", "--eigenfunctions", "5"]) in (
        0,
        None,
    )
    report = json.loads((out / "report.json").read_text())
    assert report["config"]["sigmas"] == [0.01]  # --noise, as --sigma
    assert report["config"]["method"] == {
        "name": "eand-arn",
        "derivatives": "nd",
        "net": "NN2",
        "lam": 0.1,
        "eigenfunctions": 5,
    }
    scores = report["metrics"]["sigma=0.01"]
    name = "EAND-ARN (nd, NN2)"
    assert set(scores) == BASELINES | {name}
    s = scores[name]
    assert 0 < s["RE"] and -1 <= s["CC"] <= 1 and s["MSE"] > 0 and s["seconds"] > 0
    training = report["training"]["sigma=0.01"]
    # the quick run's loss can blow up (on TensorFlow this one does, at steps 14 and 24): the guard
    # ends a stage (10 steps each) where it rolls back, so the steps are 30 less those skipped
    skipped = sum(10 * (r["stage"] + 1) - r["step"] for r in training["rollbacks"])
    assert training["name"] == name and training["timings"]["adam_steps"] == 30 - skipped
    for r in training["rollbacks"]:
        assert r["loss"] is None or r["loss"] > 100 * r["restored_loss"], r
    assert set(training["final_loss_terms"]) == {"data", "r_u", "r_v"}
    assert training["preset"]["iterations"] == 30 and training["init_draw"] >= 0
    assert training["preset"]["rollback"] == 100.0
    assert training["preset"]["eigenfunctions"] == 5
    _check_figures(out, report, 5)  # and loss curves


@pytest.mark.parametrize(
    "options, message",
    [
        (["--method", "fdm"], "invalid choice: 'fdm'"),
        (["--derivatives", "fd"], "invalid choice: 'fd'"),
        (["--net", "NN7"], "net must be one of NN1"),
    ],
)
def test_unknown_options_are_refused(tmp_path, capsys, options, message):
    with pytest.raises(SystemExit):
        main(["run", "ecg", "--quick", "--out", str(tmp_path), *options])
    assert message in capsys.readouterr().err


def test_network_options_need_a_method(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["run", "ecg", "--quick", "--method", "none", "--net", "NN1", "--out", str(tmp_path)])
    assert "give --method eand-arn" in capsys.readouterr().err
