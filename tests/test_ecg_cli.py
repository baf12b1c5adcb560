"""`pinn-inverse run ecg` on a user's geometry (--heart/--torso), its errors, and the
activation times of its figures."""

import json

import numpy as np
import pytest
import trimesh

from pinn_inverse.cli import main
from pinn_inverse.ecg.geometry import check_nested, check_surface
from pinn_inverse.ecg.plotting import (
    activation_maps,
    activation_times,
    front_frame,
    heart_maps,
    heart_views,
)


@pytest.fixture(autouse=True)
def environment(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("PINN_INVERSE_CACHE", str(tmp_path_factory.getbasetemp()))
    monkeypatch.setenv("MPLBACKEND", "Agg")


def _sphere(radius, centre=(0.0, 0.0, 0.0)):
    mesh = trimesh.creation.icosphere(subdivisions=2, radius=radius)  # 162 nodes
    return mesh.vertices + np.asarray(centre), mesh.faces


def _write_pts_fac(folder, name, vertices, faces):
    """A .pts (mm) / .fac (1-based) pair; returns the .pts path."""
    np.savetxt(folder / f"{name}.pts", vertices * 1e3)
    np.savetxt(folder / f"{name}.fac", faces + 1, fmt="%d")
    return folder / f"{name}.pts"


def _write_obj(folder, name, vertices, faces):
    path = folder / f"{name}.obj"
    trimesh.Trimesh(vertices, faces, process=False).export(path)
    return path


@pytest.fixture
def spheres(tmp_path):
    """A 4 cm heart sphere (.pts/.fac, mm) inside a 15 cm torso sphere (.obj, m)."""
    heart = _write_pts_fac(tmp_path, "heart", *_sphere(0.04))
    torso = _write_obj(tmp_path, "torso", *_sphere(0.15))
    return heart, torso


def test_run_ecg_on_a_users_geometry(tmp_path, spheres):
    heart, torso = spheres
    out = tmp_path / "out"
    argv = ["run", "ecg", "--quick", "--method", "none", "--frames", "61", "--out", str(out)]
    argv += ["--heart", str(heart), "--torso", str(torso), "--forward-subdivisions", "1"]
    assert main(argv) in (0, None)
    report = json.loads((out / "report.json").read_text())
    config = report["config"]
    assert config["geometry"] == {"heart": str(heart), "torso": str(torso), "unit": None}
    assert config["n_heart"] == 162 and config["n_torso"] == 162
    assert config["forward_subdivisions"] == 1
    scores = report["metrics"]["sigma=0.05"]
    assert set(scores) == {"Tikhonov 2 (L-curve)", "Tikhonov 2 (GCV)", "STRE"}
    # measured 0.43 / 0.38 / 0.35: the 162-node heart is coarse, but every baseline works
    for name, s in scores.items():
        assert 0.1 < s["RE"] < 0.6 and 0.7 < s["CC"] <= 1, (name, s)
    # the data come from the finer forward model: STRE's RE is 0.3484, 0.3465 with the same R
    assert scores["STRE"]["RE"] == pytest.approx(0.3484, abs=5e-4)
    names = ("heart_maps", "activation_maps", "time_course", "lcurve")
    assert report["figures"] == [f"sigma=0.05_{name}.png" for name in names]
    for name in report["figures"]:
        assert (out / name).read_bytes()[:4] == b"\x89PNG"


def test_run_ecg_on_the_ecgsim_geometry(tmp_path, shared_data):
    out = tmp_path / "out"
    argv = ["run", "ecg", "--quick", "--method", "none", "--frames", "61", "--out", str(out)]
    with pytest.warns(UserWarning, match="badly shaped triangles"):  # ECGSim's needles
        assert main([*argv, "--geometry", "ecgsim"]) in (0, None)
    report = json.loads((out / "report.json").read_text())
    config = report["config"]
    # the heart split once, the thorax native in quick mode (study.geometry_of)
    assert config["geometry"] == "ecgsim" and config["n_heart"] == 1022 and config["n_torso"] == 300
    for name, s in report["metrics"]["sigma=0.05"].items():
        assert 0.1 < s["RE"] < 0.8, (name, s)


def _fails(capsys, tmp_path, *options):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "ecg", "--quick", "--method", "none", "--out", str(tmp_path), *options])
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_a_users_geometry_needs_both_files(tmp_path, capsys, spheres):
    heart, torso = spheres
    assert "give both --heart and --torso" in _fails(capsys, tmp_path, "--heart", str(heart))
    assert "give both --heart and --torso" in _fails(capsys, tmp_path, "--torso", str(torso))
    err = _fails(
        capsys, tmp_path, "--geometry", "ecgsim", "--heart", str(heart), "--torso", str(torso)
    )
    assert "either --geometry or --heart and --torso" in err
    assert "--unit is the length unit" in _fails(capsys, tmp_path, "--unit", "0.001")
    err = _fails(capsys, tmp_path, "--forward-subdivisions", "-1")
    assert "must be an integer >= 0, got '-1'" in err
    err = _fails(capsys, tmp_path, "--method", "ep-dl", "--eigenfunctions", "4")
    assert "give --derivatives nd or nd_space with it" in err
    err = _fails(capsys, tmp_path, "--method", "none", "--eigenfunctions", "4")
    assert "--eigenfunctions choose the network" in err


def test_unreadable_files_are_refused(tmp_path, capsys, spheres):
    heart, torso = spheres
    missing = tmp_path / "nowhere.tri"
    err = _fails(capsys, tmp_path, "--heart", str(missing), "--torso", str(torso))
    assert f"heart file {missing} does not exist" in err
    (tmp_path / "heart.fac").unlink()
    err = _fails(capsys, tmp_path, "--heart", str(heart), "--torso", str(torso))
    assert f"heart file {tmp_path / 'heart.fac'} does not exist" in err
    garbage = tmp_path / "garbage.pts"
    garbage.write_text("not a number\n")
    (tmp_path / "garbage.fac").write_text("1 2 3\n")
    err = _fails(capsys, tmp_path, "--heart", str(garbage), "--torso", str(torso))
    assert f"cannot use heart file {garbage}" in err and "accepted: a .pts/.fac pair" in err


def test_geometries_the_checks_refuse(tmp_path, capsys, spheres):
    heart, torso = spheres
    vertices, faces = _sphere(0.04)
    open_heart = _write_obj(tmp_path, "open", vertices, faces[1:])
    err = _fails(capsys, tmp_path, "--heart", str(open_heart), "--torso", str(torso))
    assert "cannot use heart file" in err and "heart is not closed" in err
    # a heart through the torso wall
    poking = _write_obj(tmp_path, "poking", *_sphere(0.04, centre=(0.13, 0.0, 0.0)))
    err = _fails(capsys, tmp_path, "--heart", str(poking), "--torso", str(torso))
    assert "heart nodes lie outside the torso" in err
    # the .pts file in mm read as metres: a 80 km heart
    err = _fails(capsys, tmp_path, "--heart", str(heart), "--torso", str(torso), "--unit", "1")
    assert "the heart spans 80 m" in err and "--unit" in err


def test_activation_times_of_a_planar_wave():
    # u = 1 / (1 + exp(-(t - x / c) / w)) crosses 0.5 upward at t = x / c exactly
    t = np.linspace(0.0, 60.0, 61)  # τ = 1
    x = np.linspace(0.0, 0.1, 50)
    c = 0.1 / 40.0
    arrival = x / c  # 0-40
    u = 1.0 / (1.0 + np.exp(-(t[None, :] - arrival[:, None]) / 2.0))
    times = activation_times(u, t)
    # the crossing is interpolated linearly between frames: well within a frame (0.03 measured)
    assert np.abs(times[1:] - arrival[1:]).max() < 0.1
    # the first node is at 0.5 in the first frame: activated then
    assert times[0] == 0.0
    # half of the 50 nodes (arrivals 0-40) are above 0.5 once the front passes x = 0.05: t = 20
    assert front_frame(u) == 20
    # at rest: never; falling from 1: active from the first frame; 0.4, then 59/60: between
    nodes = np.stack(
        [np.zeros_like(t), np.linspace(1.0, 0.0, len(t)), np.linspace(1.0, 0.0, len(t))]
    )
    nodes[2, 0] = 0.4
    times = activation_times(nodes, t)
    assert np.isnan(times[0]) and times[1] == 0.0
    assert times[2] == pytest.approx((0.5 - 0.4) / (59 / 60 - 0.4), abs=1e-12)


def test_activation_times_refuse_bad_input():
    with pytest.raises(ValueError, match="u must have shape"):
        activation_times(np.zeros((3, 4)), np.arange(5.0))
    with pytest.raises(ValueError, match="t must be strictly increasing"):
        activation_times(np.zeros((3, 3)), np.array([0.0, 2.0, 1.0]))


def _geometry(heart_centre):
    """A 4 cm heart sphere in an ellipsoidal torso 34 × 22 × 60 cm (thinnest along y)."""
    heart = check_surface(*_sphere(0.04, heart_centre), "heart")
    vertices, faces = _sphere(1.0)
    torso = check_surface(vertices * [0.17, 0.11, 0.3], faces, "torso")
    return check_nested(heart, torso)


def test_heart_views_look_from_the_base_and_the_front():
    # the apex is the lowest node, so the long axis points up; the heart sits at +y: the front
    views = heart_views(_geometry((0.0, 0.03, 0.0)))
    assert views["basal"][0] == pytest.approx(90.0, abs=1.0)
    assert views["anterior"] == pytest.approx((0.0, 90.0), abs=1.0)
    # a heart at -y: the front is -y
    assert heart_views(_geometry((0.0, -0.03, 0.0)))["anterior"] == pytest.approx(
        (0.0, -90.0), abs=1.0
    )


def test_activation_maps_show_nodes_that_never_activate():
    geometry = _geometry((0.0, 0.03, 0.0))
    times = geometry.heart.vertices[:, 2] + 0.04  # 0-0.08
    never = times.copy()
    never[:3] = np.nan
    fig = activation_maps(geometry, {"truth": times, "method": never})
    titles = [ax.get_title() for ax in fig.axes[:4]]
    assert titles == ["truth (basal)", "truth (anterior)"] + [
        f"method, 3 never active ({view})" for view in ("basal", "anterior")
    ]
    # the faces of those nodes are grey (drawn in depth order: counted), the others coloured
    fig.canvas.draw()
    colours = fig.axes[2].collections[0].get_facecolor()
    grey = np.count_nonzero(np.all(np.isclose(colours[:, :3], 0.6), axis=1))
    assert grey == np.count_nonzero(np.isin(geometry.heart.faces, [0, 1, 2]).any(axis=1)) > 0
    truth = fig.axes[0].collections[0].get_facecolor()
    assert not np.any(np.all(np.isclose(truth[:, :3], 0.6), axis=1))
    with pytest.raises(ValueError, match="no node activates"):
        activation_maps(geometry, {"truth": np.full(162, np.nan)})
    with pytest.raises(ValueError, match="map 'truth' must have shape"):
        heart_maps(geometry, {"truth": np.zeros(10)})
