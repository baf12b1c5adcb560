"""The ``eand_arn`` sweep runner (:mod:`pinn_inverse.ecg.study`): quick runs, seeding, checks."""

import math

import pytest

from pinn_inverse import metrics, sweep

QUICK = dict(quick=True, frames=21, iterations=5)


@pytest.fixture(autouse=True)
def cache(tmp_path_factory, monkeypatch):
    # the cache folder tests/test_ecg_pipeline.py uses: the transfer matrix is built once
    monkeypatch.setenv("PINN_INVERSE_CACHE", str(tmp_path_factory.getbasetemp()))


def test_eand_arn_is_a_built_in_runner_and_its_settings_are_checked():
    spec = sweep.load_spec(
        {
            "runner": "eand_arn",
            "grid": {"method": ["ep-dl"], "derivatives": ["ad", "nd"], "net": ["FNN10x10"]},
            "seeds": [0, 1],
        }
    )
    assert spec.runner == "pinn_inverse.ecg.study:run" and len(spec.cells()) == 4
    with pytest.raises(ValueError, match="does not accept width"):
        sweep.load_spec({"runner": "eand_arn", "grid": {"width": [5, 10]}, "seeds": [0]})


def test_nets_by_name():
    from pinn_inverse.ecg.study import parse_net
    from pinn_inverse.nets import TABLE_I, NetConfig

    assert parse_net("NN4") == TABLE_I["NN4"]
    assert parse_net("FNN10x5") == NetConfig(layers=10, neurons=5, blocks=0)
    assert parse_net("ARN10x15") == TABLE_I["NN6"]
    assert parse_net("ARN7x30") == NetConfig(layers=7, neurons=30, blocks=2)
    for bad in ("NN7", "FNN10", "fnn10x5", "ARN9x15", "ARN1x15", 6):
        with pytest.raises(ValueError, match="NN1, NN2.*FNN<layers>x<neurons>.*ARN"):
            parse_net(bad)


def test_an_overflowed_loss_term_is_reported_not_dropped():
    # where û nearly touches ξ's pole, r_v overflows float32: the record must stay finite
    # (None) and say so, and the EP loss is then the larger one
    from types import SimpleNamespace

    from pinn_inverse.ecg.study import bad_init, loss_summary

    def problem(r_v):
        return SimpleNamespace(
            loss_terms=lambda: {"data": 1.2, "r_u": 3.0, "r_v": r_v},
            trainer=SimpleNamespace(loss_weights={"data": 1.0, "r_u": 0.1, "r_v": 0.1}),
        )

    out = loss_summary(problem(5.0), "init")
    assert out == pytest.approx(
        {"init_data": 1.2, "init_r_u": 3.0, "init_r_v": 5.0, "init_ep": 0.8, "init_finite": 1.0}
    )
    assert bad_init(out) == 0.0 and bad_init(loss_summary(problem(12.0), "init")) == 1.0
    out = loss_summary(problem(math.inf), "init")
    assert out["init_r_v"] is None and out["init_ep"] is None and out["init_finite"] == 0.0
    assert out["init_data"] == 1.2 and out["init_r_u"] == 3.0 and bad_init(out) == 1.0


@pytest.mark.parametrize(
    "option", [{"method": "pinn"}, {"geometry": "utah"}, {"net": "NN7"}, {"derivatives": "fd"}]
)
def test_unknown_options_are_refused(option):
    from pinn_inverse.ecg.study import run

    with pytest.raises(ValueError, match=str(list(option.values())[0])):
        run(**{**QUICK, **option})


@pytest.mark.network
def test_quick_run_scores_the_method_and_the_baselines_and_is_seeded():
    from pinn_inverse.ecg.study import run

    out = run(seed=0, **QUICK)
    assert all(v is None or math.isfinite(v) for v in out.values())
    assert out["n_heart"] == 1094 and out["frames"] == 21
    for prefix in ("", "tikhonov2_", "stre_"):
        assert 0 < out[f"{prefix}re"] and -1 <= out[f"{prefix}cc"] <= 1 and out[f"{prefix}mse"] > 0
    # the baselines at σ = 0.01 on the default heart (0.296 and 0.202 at 661 frames)
    assert out["tikhonov2_re"] < 0.4 and out["stre_re"] < out["tikhonov2_re"]
    # λ L_EP is λ times the residual terms (the default weights), and bad_init compares it
    assert out["init_ep"] == pytest.approx(0.1 * (out["init_r_u"] + out["init_r_v"]), rel=1e-6)
    assert out["bad_init"] == float(out["init_ep"] > out["init_data"])
    # five Adam steps lower the total loss from its initial value
    total = out["final_data"] + out["final_ep"]
    assert total < out["init_data"] + out["init_ep"]
    assert out["wall_s"] > 0 and out["adam_step_s"] > 0
    # the same seed gives the same run; the untrained network (0 steps) is the initial one
    again = run(seed=0, **{**QUICK, "iterations": 0})
    for name in ("init_data", "init_r_u", "init_r_v", "tikhonov2_re", "stre_re"):
        assert again[name] == out[name], name
    assert again["final_data"] == again["init_data"] and again["adam_step_s"] is None
    # scored on u: the same seeded network built here, on the same data, gives the same RE
    from pinn_inverse.ecg import benchmark_data
    from pinn_inverse.ecg.eand_arn import PRESETS, eand_arn

    data = benchmark_data(0.01, seed=0, n_frames=21)
    problem = eand_arn(data, preset=PRESETS["default"].quick(), seed=0)
    assert again["re"] == pytest.approx(metrics.re(problem.predict()[0], data.u), rel=1e-6)
    # and the baselines are the pipeline's, by name, on the same data
    from pinn_inverse.ecg.pipeline import baselines
    from pinn_inverse.operators import mesh_laplacian

    recs = baselines(data, mesh_laplacian(data.geometry.heart.vertices, data.geometry.heart.faces))
    for prefix, name in (("tikhonov2_", "Tikhonov 2 (L-curve)"), ("stre_", "STRE")):
        for score in ("re", "cc", "mse"):
            reference = getattr(metrics, score)(recs[name][0].u, data.u)
            assert again[prefix + score] == pytest.approx(reference, rel=1e-9), (name, score)
