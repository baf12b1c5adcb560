"""The ``pinn-inverse run eit`` pipeline in quick mode: report contract and figures."""

import argparse

import pytest

from pinn_inverse.eit import pipeline


@pytest.mark.slow
def test_pipeline_quick(tmp_path):
    parser = argparse.ArgumentParser()
    pipeline.add_arguments(parser)
    args = parser.parse_args([])
    args.quick, args.seed, args.out = True, 0, tmp_path
    report = pipeline.run(args)
    assert set(report) >= {"config", "metrics", "figures"}
    for name in report["figures"]:
        assert (tmp_path / name).stat().st_size > 1000
    for kind, methods in report["metrics"].items():
        for name, m in methods.items():
            # a reconstruction that localises the inclusions correlates with the truth
            assert m["cc"] > 0.3, (kind, name, m)
            assert 0 < m["rie"] < 1
