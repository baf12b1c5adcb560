"""``pinn-inverse run eeg|eit``: a bad option is a usage error (exit 2, the reason, what is
accepted) before any work, not a traceback after it."""

import pytest

from pinn_inverse.cli import main


def _fails(capsys, tmp_path, problem, *options):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        main(["run", problem, "--quick", "--out", str(out), *options])
    assert exit_info.value.code == 2
    assert not out.exists()  # refused before any work
    err = capsys.readouterr().err
    assert f"pinn-inverse run {problem}: error:" in err
    return err


@pytest.mark.parametrize(
    "options, message",
    [
        (["--electrodes", "7"], "--electrodes (the dipole fit's) must be >= 8, got 7"),
        (["--noise", "-0.1"], "--noise must be >= 0"),
        (["--noise", "nan"], "--noise"),
        (["--iterations", "-3"], "--iterations must be >= 0, got -3"),
        (["--lbfgs", "-1"], "--lbfgs must be >= 0, got -1"),
        (["--grid", "4"], "--grid must be >= 8, got 4"),
        (["--seed", "-1"], "--seed must be >= 0, got -1"),
    ],
)
def test_eeg_refuses_bad_options(tmp_path, capsys, options, message):
    assert message in _fails(capsys, tmp_path, "eeg", *options)


@pytest.mark.parametrize(
    "options, message",
    [
        (["--seed", "-2"], "--seed must be >= 0, got -2"),
        (["--snr", "inf"], "--snr (dB)"),
        (["--ktc", "--ktc-data", "NOWHERE"], "is not a KTC2023 folder (no Mesh_sparse.mat)"),
    ],
)
def test_eit_refuses_bad_options(tmp_path, capsys, options, message):
    options = [str(tmp_path / o) if o == "NOWHERE" else o for o in options]
    assert message in _fails(capsys, tmp_path, "eit", *options)
