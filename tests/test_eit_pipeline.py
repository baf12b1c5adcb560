"""The ``pinn-inverse run eit`` pipeline in quick mode: report contract and figures."""

import argparse
import math

import pytest

from pinn_inverse.eit import pipeline


def _args(argv, out, cache):
    parser = argparse.ArgumentParser()
    pipeline.add_arguments(parser)
    args = parser.parse_args([*argv, "--cache", str(cache)])
    args.quick, args.seed, args.out = True, 0, out
    return args


@pytest.mark.slow
@pytest.mark.network
def test_pipeline_quick(tmp_path, tmp_path_factory):
    # the stage-1 cache tests/test_eit_study.py uses: one quick U-Net for the session
    cache = tmp_path_factory.getbasetemp() / "eit_cnn_pinn_cache"
    report = pipeline.run(_args([], tmp_path, cache))
    assert set(report) >= {"config", "metrics", "figures", "stage1", "stage2"}
    assert report["config"]["cases"] == ["circle", "two_circles", "circle_triangle"]
    for name in report["figures"]:
        assert (tmp_path / name).stat().st_size > 1000
    assert "eit_fig4.png" in report["figures"]
    for kind, methods in report["metrics"].items():
        assert set(methods) == {"NOSER (difference)", "TV (difference)", "CNN + PINN"}
        for name, m in methods.items():
            assert all(math.isfinite(v) for v in m.values()), (kind, name, m)
            assert 0 < m["rie"]
            if name != "CNN + PINN":  # the quick U-Net is trained for seconds
                # a reconstruction that localises the inclusions correlates with the truth
                assert m["cc"] > 0.3, (kind, name, m)
                assert m["rie"] < 1
    assert report["stage1"]["dataset"]["image_size"] == 16
    assert report["stage1"]["seconds"] > 0 and report["stage1"]["train_s"] > 0
    for stage2 in report["stage2"].values():
        assert list(stage2["training"]) == ["CNN + PINN"]
        assert stage2["training"]["CNN + PINN"]["adam_steps"] == 300  # the quick preset
        assert stage2["training"]["CNN + PINN"]["adam_step_s"] > 0
        assert 0 < stage2["U_rel_l2"] < 1
        assert set(stage2["seconds"]) == {"NOSER (difference)", "TV (difference)", "CNN + PINN"}


@pytest.mark.network
def test_pipeline_oracle_on_one_case(tmp_path, tmp_path_factory):
    cache = tmp_path_factory.getbasetemp() / "eit_cnn_pinn_cache"
    args = _args(["--case", "circle", "--oracle"], tmp_path, cache)
    report = pipeline.run(args)
    assert list(report["metrics"]) == ["circle"]
    assert set(report["metrics"]["circle"]) >= {"CNN + PINN", "PINN (true U)"}
    assert set(report["stage2"]["circle"]["training"]) == {"CNN + PINN", "PINN (true U)"}


def test_unknown_case_is_refused(tmp_path):
    parser = argparse.ArgumentParser()
    pipeline.add_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--case", "square"])
    args = parser.parse_args(["--cache", str(tmp_path)])
    args.quick, args.seed, args.out, args.case = True, 0, tmp_path, "square"
    with pytest.raises(ValueError, match="unknown case 'square'; accepted: 'circle'"):
        pipeline.run(args)
