"""Benchmark: the paper's Table II, CNN + PINN against NOSER and TV, per case, backend and seed.

A sweep (:mod:`pinn_inverse.sweep`) of the built-in ``cnn_pinn`` runner
(:mod:`pinn_inverse.eit.study`): for each cell (case, backend, seed) stage 1 (the ``--unet``
preset's U-Net, trained once per backend and seed, then cached) and, on ``--phantoms``
independent test phantoms of the case with 20 dB noise, CNN + PINN, the σ-PINN on the true U
(the oracle: stage 2 alone), and difference NOSER and TV on the same phantoms. Cells run two
at a time with one thread each (``--workers``), each in a fresh process; rerunning the same
command skips the finished cells. The sweep folder
``benchmarks/results/sweeps/eit_cnn_pinn_<unet>`` gets one record per cell, the aggregate,
``benchmark.json`` (the commit and versions measured) and ``tables.md``: mean ± std over the
seeds of each cell's mean over its phantoms, beside the paper's Table II.

    python benchmarks/eit_cnn_pinn.py --backends tensorflow pytorch --seeds 0 1 2

``--quick`` is a check that the whole path works, in about a minute: the test-size U-Net,
one phantom, 20 σ-PINN steps, into ``eit_cnn_pinn_quick``. Its numbers measure nothing.
"""

import argparse
import json
import sys
from pathlib import Path

from pinn_inverse.backend import SUPPORTED

sys.path.insert(0, str(Path(__file__).parent))
import sweep_benchmark  # noqa: E402 (the shared part of the benchmarks beside this one)

CASES = ("circle", "two_circles", "circle_triangle")  # the paper's cases 1, 2, 3

PAPER = {  # Table II: SSIM, CC, RIE
    "circle": {"noser": (0.3645, 0.6534, 0.9465), "tv": (0.3829, 0.6347, 1.1034),
               "cnn_pinn": (0.4066, 0.7043, 0.9365)},
    "two_circles": {"noser": (0.1943, 0.3347, 3.0641), "tv": (0.2161, 0.2803, 3.4514),
                    "cnn_pinn": (0.3671, 0.403, 2.4903)},
    "circle_triangle": {"noser": (0.3841, 0.7071, 0.6107), "tv": (0.2873, 0.6148, 0.9701),
                        "cnn_pinn": (0.4036, 0.7146, 0.4954)},
}  # fmt: skip
NAMES = {"noser": "NOSER", "tv": "TV", "cnn_pinn": "CNN + PINN", "oracle": "PINN (true U)"}
SCORES = ("ssim", "cc", "rie")


def spec(args):
    """The sweep's SPEC: cases × backends × seeds, the other options as one-value settings."""
    fixed = {"unet": args.unet, "n_phantoms": args.phantoms, "snr_db": args.snr}
    if args.iterations is not None:
        fixed["iterations"] = args.iterations
    if args.quick:
        fixed["quick"] = True
    grid = {"case": args.cases, "backend": args.backends, **{k: [v] for k, v in fixed.items()}}
    return {"runner": "cnn_pinn", "grid": grid, "seeds": args.seeds}


def _value(summary, key, digits=3):
    m = summary.get(key)
    if m is None:
        return "—"
    mean, std = m["mean"], m["std"]
    return f"{mean:.{digits}f} ± {std:.{digits}f}" if m["n"] > 1 else f"{mean:.{digits}f}"


def tables(folder):
    """Markdown: per case and backend, SSIM, CC, RIE of every method (mean ± std over seeds
    of the mean over each seed's phantoms) beside the paper's; then the timings."""
    rows = json.loads((Path(folder) / "aggregate.json").read_text())["rows"]
    head = (
        "| case | backend | method | seeds × phantoms | SSIM | CC | RIE | paper SSIM / CC / RIE |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    timing = [
        "| case | backend | stage 1 (s) | CNN + PINN (s/phantom) | oracle (s/phantom) | "
        "Adam step (ms) | NOSER (s) | TV (s) | U-Net U error (test phantoms) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if not row["seeds"]:
            continue
        s, m = row["settings"], row["metrics"]
        count = f"{len(row['seeds'])} × {s['n_phantoms']}"
        for method, name in NAMES.items():
            paper = PAPER[s["case"]].get(method)
            paper = " / ".join(f"{v:.4f}" for v in paper) if paper else "—"
            values = [_value(m, f"{method}_{score}_mean") for score in SCORES]
            lines.append(f"| {s['case']} | {s['backend']} | {name} | {count} | "
                         + " | ".join(values) + f" | {paper} |")  # fmt: skip
        step = m.get("cnn_pinn_step_s")
        step = "—" if step is None else f"{1e3 * step['mean']:.2f}"
        timing.append(
            f"| {s['case']} | {s['backend']} | {_value(m, 'stage1_s', 1)} | "
            f"{_value(m, 'cnn_pinn_s', 1)} | {_value(m, 'oracle_s', 1)} | "
            f"{step} | "
            f"{_value(m, 'noser_s', 3)} | {_value(m, 'tv_s', 2)} | {_value(m, 'unet_rel_l2')} |"
        )
    return "\n".join(lines) + "\n\n" + "\n".join(timing)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--backends", nargs="+", choices=SUPPORTED, default=list(SUPPORTED))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--unet", choices=("cpu", "paper"), default="cpu")
    parser.add_argument("--phantoms", type=int, default=10, help="test phantoms per cell")
    parser.add_argument("--iterations", type=int, default=None, help="σ-PINN Adam steps")
    parser.add_argument("--snr", type=float, default=20.0, help="noise (dB), paper: 20")
    parser.add_argument("--quick", action="store_true", help="a check that it runs, not numbers")
    sweep_benchmark.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.phantoms, args.seeds = 1, [0]
        args.iterations = 20 if args.iterations is None else args.iterations
    folder = args.out / f"eit_cnn_pinn_{'quick' if args.quick else args.unet}"
    return sweep_benchmark.run(spec(args), folder, args, PAPER, tables)


if __name__ == "__main__":
    sys.exit(main())
