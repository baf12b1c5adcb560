"""Sweeps: SPEC checks, the local and Ray engines, records, resuming after a kill, the aggregate."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from pinn_inverse import sweep
from pinn_inverse.sweep.records import read_records, record_path

HERE = Path(__file__).resolve().parent
QUADRATIC = {"runner": "sweep_runners:quadratic", "grid": {"a": [1.0, 2.0]}, "seeds": [0, 1, 2]}


@pytest.fixture(autouse=True)
def _importable_runners(monkeypatch):
    """Spawned workers, Ray workers and CLI subprocesses import the test runners from here."""
    path = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
    monkeypatch.setenv("PYTHONPATH", path)


def _cli(*args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "pinn_inverse.cli", "sweep", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _write_spec(path, spec):
    path.write_text(json.dumps(spec))
    return path


def _files(folder):
    return {p.name: p.read_text() for p in (folder / "cells").iterdir()}


def test_local_sweep_writes_one_record_per_cell_and_the_aggregate(tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # the workers must cut it to one
    spec = sweep.load_spec(QUADRATIC)
    summary = sweep.run(spec, tmp_path, workers=2, progress=False)
    assert summary.exit_code == 0 and (summary.ran, summary.skipped) == (6, 0)
    records = read_records(tmp_path, spec.cells())
    assert sorted(_files(tmp_path)) == sorted(f"{c.key}.json" for c in spec.cells())
    for cell in spec.cells():
        record = records[cell.key]
        x = np.random.default_rng(cell.seed).normal()
        assert record["status"] == "ok" and record["seed"] == cell.seed
        assert record["metrics"]["loss"] == pytest.approx(cell.settings["a"] * x**2)
        assert record["metrics"]["threads"] == 1
        assert record["engine"] == "local"
    # one fresh process per cell (two workers, six cells): no cell inherits another's imports
    assert len({r["pid"] for r in records.values()} | {os.getpid()}) == 7
    table = json.loads((tmp_path / "aggregate.json").read_text())
    losses = [2.0 * np.random.default_rng(s).normal() ** 2 for s in (0, 1, 2)]
    row = table["rows"][1]
    assert row["settings"] == {"a": 2.0} and row["seeds"] == [0, 1, 2]
    assert row["metrics"]["loss"]["mean"] == pytest.approx(np.mean(losses))
    assert row["metrics"]["loss"]["std"] == pytest.approx(np.std(losses))
    assert row["metrics"]["loss"]["max"] == pytest.approx(max(losses))
    assert row["metrics"]["loss"]["n"] == 3
    assert "| a=2.0 | " in (tmp_path / "aggregate.md").read_text()
    assert (tmp_path / "aggregate.png").read_bytes()[:4] == b"\x89PNG"

    before = _files(tmp_path)
    again = sweep.run(spec, tmp_path, workers=2, progress=False)
    assert (again.ran, again.skipped, again.exit_code) == (0, 6, 0)
    assert _files(tmp_path) == before  # finished cells are not rerun


def test_ray_engine_gives_the_same_records_and_aggregate(tmp_path):
    import ray

    spec = sweep.load_spec(QUADRATIC)
    sweep.run(spec, tmp_path / "local", workers=2, progress=False)
    start = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False)
    print(f"ray.init: {time.perf_counter() - start:.1f} s")
    try:
        summary = sweep.run(spec, tmp_path / "ray", engine="ray", workers=2, progress=False)
    finally:
        ray.shutdown()
    assert summary.exit_code == 0 and summary.ran == 6
    local, remote = (read_records(tmp_path / e, spec.cells()) for e in ("local", "ray"))
    assert local.keys() == remote.keys()
    for key in local:
        assert remote[key]["engine"] == "ray"
        for field in ("settings", "seed", "status", "metrics"):
            assert remote[key][field] == local[key][field]
    assert len({r["pid"] for r in remote.values()}) == 6  # no actor reuse: a process per cell
    tables = [json.loads((tmp_path / e / "aggregate.json").read_text()) for e in ("local", "ray")]
    assert tables[0] == tables[1]


def test_a_failed_cell_is_recorded_and_the_others_finish(tmp_path):
    spec = sweep.load_spec({"runner": "sweep_runners:fragile", "seeds": [0, 1, 2, 3]})
    summary = sweep.run(spec, tmp_path, workers=2, progress=False)
    assert summary.exit_code == 1
    assert [r["seed"] for r in summary.failed] == [1]
    failed = summary.failed[0]
    assert failed["error"] == "ArithmeticError: seed 1 is unlucky"
    assert "in fragile" in failed["traceback"] and failed["metrics"] == {}
    assert "seed=1 default" in str(summary) and "unlucky" in str(summary)
    records = read_records(tmp_path, spec.cells())
    assert sorted(r["seed"] for r in records.values() if r["status"] == "ok") == [0, 2, 3]
    row = json.loads((tmp_path / "aggregate.json").read_text())["rows"][0]
    assert row["seeds"] == [0, 2, 3] and row["failed_seeds"] == [1]
    assert row["metrics"]["value"]["mean"] == pytest.approx(5 / 3)
    assert row["metrics"]["none_for_odd"]["n"] == 2  # seed 3's None is left out

    again = sweep.run(spec, tmp_path, workers=2, progress=False)
    assert (again.ran, again.skipped, again.exit_code) == (1, 3, 1)  # the failed one retried


def test_a_worker_that_dies_fails_its_cell_and_the_sweep_goes_on(tmp_path):
    spec = sweep.load_spec({"runner": "sweep_runners:doomed", "seeds": [0, 1, 2, 3]})
    summary = sweep.run(spec, tmp_path, workers=1, progress=False)
    assert [r["seed"] for r in summary.failed] == [1]
    assert "worker process died" in summary.failed[0]["error"]
    assert summary.cells - len(summary.failed) == 3 and summary.not_run == 0


def test_cli_exits_non_zero_with_a_summary_and_a_progress_bar(tmp_path):
    path = _write_spec(
        tmp_path / "fragile.json", {"runner": "sweep_runners:fragile", "seeds": [0, 1]}
    )
    out, err = _cli(path, "--out", tmp_path / "out", "--workers", "2").communicate(timeout=60)
    assert "2 cells, 1 finished" in out and "ArithmeticError: seed 1 is unlucky" in out
    assert "failed=1" in err and "2/2" in err  # tqdm's bar on stderr
    report = _cli(path, "--out", tmp_path / "out", "--report")
    assert report.wait(timeout=60) == 0
    assert "aggregate.md" in report.stdout.read()


def test_a_runner_that_returns_a_non_number_fails_its_cell(tmp_path):
    summary = sweep.run(
        {"runner": "sweep_runners:bad_output", "seeds": [0]}, tmp_path, progress=False
    )
    assert "value='high'" in summary.failed[0]["error"]
    assert "finite number" in summary.failed[0]["error"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_a_killed_sweep_resumes_without_lost_or_repeated_cells(tmp_path, sig):
    spec = {**QUADRATIC, "grid": {"a": [1.0], "delay": [0.3]}, "seeds": list(range(12))}
    path, out = _write_spec(tmp_path / "slow.json", spec), tmp_path / "out"
    proc = _cli(path, "--out", out, "--workers", "2", start_new_session=True)
    deadline = time.monotonic() + 60
    while not (out / "cells").is_dir() or len(list((out / "cells").glob("[!.]*.json"))) < 3:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    os.killpg(proc.pid, sig)  # the whole job, as Ctrl-C or kill -9 of the job does
    proc.communicate(timeout=60)
    assert proc.returncode == (130 if sig == signal.SIGINT else -signal.SIGKILL)

    spec = sweep.load_spec(path)
    written = {p.name: p.read_text() for p in (out / "cells").glob("[!.]*.json")}
    assert 3 <= len(written) < 12
    for text in written.values():
        assert json.loads(text)["status"] == "ok"  # whole records only
    summary = sweep.run(spec, out, workers=2, progress=False)
    assert summary.exit_code == 0
    assert (summary.skipped, summary.ran) == (len(written), 12 - len(written))
    final = {p.name: p.read_text() for p in (out / "cells").glob("[!.]*.json")}
    assert sorted(final) == sorted(record_path(out, c.key).name for c in spec.cells())
    assert all(final[name] == text for name, text in written.items())  # none rerun
    assert sorted(json.loads(t)["seed"] for t in final.values()) == list(range(12))


def test_a_terminated_driver_takes_its_workers_with_it(tmp_path):
    # `kill PID` of the driver alone (SIGTERM): its running workers must not outlive it
    spec = {**QUADRATIC, "grid": {"a": [1.0], "delay": [2.0]}, "seeds": list(range(4))}
    path, out = _write_spec(tmp_path / "slow.json", spec), tmp_path / "out"
    proc = _cli(path, "--out", out, "--workers", "2", start_new_session=True)
    group = proc.pid  # the driver and its workers
    deadline = time.monotonic() + 60
    while len(_members(group)) < 3:  # the driver, and both workers started
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGTERM)
    proc.communicate(timeout=60)
    deadline = time.monotonic() + 10
    while _members(group) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _members(group), "workers outlived the driver"
    assert proc.returncode == 128 + signal.SIGTERM


def _members(group):
    """The live processes of a process group (zombies aside), by /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def test_random_draws_are_seeded_bounded_and_crossed_with_the_grid():
    random = {
        "n": 5,
        "seed": 3,
        "space": {"b": {"loguniform": [1e-4, 1e-2]}, "delay": {"choice": [0, 0.0001]}},
    }
    spec = {"runner": "sweep_runners:quadratic", "grid": {"a": [1, 2]}, "random": random}
    settings = sweep.load_spec({**spec, "seeds": [0]}).settings
    assert len(settings) == 10 and [s["a"] for s in settings] == [1] * 5 + [2] * 5
    draws = [{k: v for k, v in s.items() if k != "a"} for s in settings]
    assert draws[:5] == draws[5:]  # each draw crossed with each grid point
    assert all(1e-4 <= d["b"] <= 1e-2 and d["delay"] in (0, 0.0001) for d in draws)
    assert len({d["b"] for d in draws}) == 5
    assert sweep.load_spec({**spec, "seeds": [1]}).settings == settings  # the same draws
    other = sweep.load_spec({**spec, "random": {**random, "seed": 4}, "seeds": [0]})
    assert other.settings != settings


def test_yaml_spec_reads_exponents_as_floats(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("runner: sweep_runners:quadratic\ngrid: {b: [1e-3, 2]}\nseeds: [0]\n")
    assert sweep.load_spec(path).settings == ({"b": 1e-3}, {"b": 2})


def test_cell_key_depends_on_runner_settings_seed_and_version(monkeypatch):
    cell = sweep.Cell("m:f", {"a": 1}, 0)
    others = [
        sweep.Cell("m:g", {"a": 1}, 0),
        sweep.Cell("m:f", {"a": 2}, 0),
        sweep.Cell("m:f", {"a": 1}, 1),
    ]
    assert len({cell.key, *(o.key for o in others)}) == 4
    key = cell.key
    monkeypatch.setattr("pinn_inverse.sweep.spec.__version__", "9.9")
    assert cell.key != key


def test_ed_pinn_runner_is_built_in_and_its_signature_checked():
    grid = {"backend": ["tensorflow", "pytorch"], "mode": ["free", "dipole"], "lbfgs": [0]}
    spec = sweep.load_spec({"runner": "ed_pinn", "grid": grid, "seeds": [0]})
    assert spec.runner == "pinn_inverse.eeg.study:run" and len(spec.cells()) == 4
    with pytest.raises(ValueError, match="does not accept width; it accepts: .*lbfgs, mode"):
        sweep.load_spec({"runner": "ed_pinn", "grid": {"width": [64]}, "seeds": [0]})


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({**QUADRATIC, "runner": "nope"}, "unknown runner 'nope'.*built-in name: ed_pinn"),
        ({**QUADRATIC, "runner": "no_such_module:run"}, "cannot import module 'no_such_module'"),
        ({**QUADRATIC, "runner": "sweep_runners:missing"}, "has no function 'missing'"),
        ({**QUADRATIC, "grid": {"c": [1]}}, "does not accept c; it accepts: a, b, delay, seed"),
        ({**QUADRATIC, "grid": {}}, "grid must map setting names to lists.*leave grid out"),
        ({**QUADRATIC, "grid": {"a": []}}, "grid setting 'a' needs a non-empty list"),
        ({**QUADRATIC, "grid": {"a": [1, 1]}}, "lists .* more than once"),
        ({**QUADRATIC, "seeds": []}, "seeds must be a non-empty list"),
        ({**QUADRATIC, "seeds": [0, 0]}, "repeat a seed"),
        ({**QUADRATIC, "grid": {"a": [{1, 2}]}}, "must be a JSON value"),
        ({**QUADRATIC, "lr": 1}, r"unknown SPEC key\(s\) \['lr'\]; accepted: runner, grid"),
        ({"grid": {"a": [1]}, "seeds": [0]}, "names no runner"),
        (
            {**QUADRATIC, "random": {"space": {"b": {"normal": [0, 1]}}}},
            "not a distribution; accepted: uniform",
        ),
        (
            {**QUADRATIC, "random": {"space": {"b": {"loguniform": [0, 1]}}}},
            "loguniform needs \\[low, high\\]",
        ),
        (
            {**QUADRATIC, "random": {"space": {"a": {"uniform": [0, 1]}}}},
            "in both grid and random.space",
        ),
        ({**QUADRATIC, "random": {"n": 3, "space": {"b": {"choice": [0]}}}}, "repeat a setting"),
    ],
)
def test_bad_specs_are_refused_with_what_is_accepted(spec, message):
    with pytest.raises((ValueError, TypeError), match=message):
        sweep.load_spec(spec)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("spec.yaml", "runner: x\ngrid: [a: 1\n", "is not valid YAML"),
        ("spec.json", "{runner", "is not valid JSON"),
    ],
)
def test_a_spec_file_that_does_not_parse_is_refused(tmp_path, name, text, message):
    (tmp_path / name).write_text(text)
    with pytest.raises(ValueError, match=message):
        sweep.load_spec(tmp_path / name)


def test_ray_not_installed_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ImportError, match=r"pip install 'pinn_inverse\[cluster\]'"):
        sweep.check_engine("ray")
    with pytest.raises(ValueError, match="is for the ray engine"):
        sweep.check_engine("local", address="auto")


def test_cli_refuses_a_bad_spec_before_any_cell_starts(tmp_path):
    path = _write_spec(tmp_path / "bad.json", {**QUADRATIC, "grid": {"c": [1]}})
    proc = _cli(path, "--out", tmp_path / "out")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "does not accept c" in err
    assert not (tmp_path / "out").exists()
