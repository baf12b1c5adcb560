"""Benchmark: the EAND-ARN paper's experiments as sweeps, beside the paper's numbers.

Each ``--experiment`` is a sweep (:mod:`pinn_inverse.sweep`) of the built-in ``eand_arn``
runner (:mod:`pinn_inverse.ecg.study`): every cell simulates the benchmark (default heart,
661 frames, seeded noise σ), trains the network and scores it, second-order Tikhonov
(L-curve) and STRE on the same data with RE, CC and MSE (eqs. 19-21).

- ``derivatives`` (Sec. IV-A): EP-DL's 10 × 10 feed-forward net with AD, ΔND and STND;
- ``width`` (Sec. IV-B1): feed-forward nets of 10 layers of 5, 10 and 15 neurons, STND;
- ``nets`` (Sec. IV-B2, Table I): NN1-NN6, STND;
- ``noise`` (Sec. IV-C): EAND-ARN (NN6, STND) and EP-DL (10 × 10, AD) at σ = 0.01, 0.05,
  0.1 on the default and the ECGSim geometry (Tikhonov-2 and STRE in every cell), each with
  the torso data simulated by the R the methods invert (``forward_subdivisions`` 0: the
  inverse crime, the paper's setting) and by the forward model on surfaces split once (1);
- ``lambda`` (Sec. IV-D): λ ∈ {0.05, 0.1, 0.3, 0.5, 0.7};
- ``crime``: the baselines alone (no network training) at σ = 0.01, 0.05, 0.1 on both
  geometries, with the data simulated by the inverted R and by the finer forward model: how
  much the inverse crime flatters a method;
- ``init`` (Sec. IV-B, Table II): NN1-NN6 over 30 initialisations (seeds: each seed's own
  draw, ``init_draws`` 1, whatever the preset's screening), no training. A
  bad initialisation is λ L_EP > L_D before the first step, both on every node and frame
  (the paper: "the EP loss term dominates the data-driven loss at the beginning epochs");
  its rate is the mean of the runner's ``bad_init`` over seeds. Where λ L_EP overflowed
  (float32, û at the pole of ξ) it counts as bad and is left out of the mean λ L_EP; the
  table gives the share of such seeds.

The paper repeats each experiment 10 times (30 for ``init``): the default seeds. Rerunning
the same command skips finished cells, so an interrupted experiment resumes. The sweep folder
``benchmarks/results/sweeps/ecg_eand_arn_<experiment>[_quick]`` gets one record per cell, the
aggregate, ``benchmark.json`` (commit, versions, spec) and ``tables.md`` (mean ± std beside the
paper's numbers)::

    python benchmarks/ecg_eand_arn.py --experiment nets --backends tensorflow
    python benchmarks/ecg_eand_arn.py --experiment init --quick   # a check, not a measurement
    python benchmarks/ecg_eand_arn.py --experiment noise --only method=eand-arn sigma=0.01

The full experiments take hours: a TensorFlow cell on one thread took 259-282 s for
EAND-ARN at the default preset (6000 Adam steps, one other job on the two cores), and at the
preset before it (3000 steps, ``--iterations 3000 --input-scale 1``, which reproduces the
older tables) 95-211 s for EAND-ARN, 48-163 s for EP-DL's net with ΔND or STND and 127-145 s
with AD (one to three other jobs; PyTorch's steps are two to three times longer);
``--quick`` (21 frames, 5 Adam steps, one seed, two values of the experiment's setting)
checks that they run.
"""

import argparse
import sys
from pathlib import Path

from pinn_inverse.backend import SUPPORTED
from pinn_inverse.sweep.report import label

sys.path.insert(0, str(Path(__file__).parent))
import sweep_benchmark  # noqa: E402 (the shared part of the benchmarks beside this one)

NETS = ["NN1", "NN2", "NN3", "NN4", "NN5", "NN6"]
# experiment -> (its setting, the grid, seeds): the setting is the one --quick keeps two of
EXPERIMENTS = {
    "derivatives": (
        "derivatives",
        {"method": ["ep-dl"], "net": ["FNN10x10"], "derivatives": ["ad", "nd_space", "nd"]},
        list(range(10)),
    ),
    "width": ("net", {"net": ["FNN10x5", "FNN10x10", "FNN10x15"]}, list(range(10))),
    "nets": ("net", {"net": NETS}, list(range(10))),
    "noise": (
        "sigma",
        {
            "method": ["eand-arn", "ep-dl"],
            "geometry": ["default", "ecgsim"],
            "sigma": [0.01, 0.05, 0.1],
            "forward_subdivisions": [0, 1],
        },
        list(range(10)),
    ),
    "lambda": ("lam", {"lam": [0.05, 0.1, 0.3, 0.5, 0.7]}, list(range(10))),
    "crime": (
        "forward_subdivisions",
        {
            "geometry": ["default", "ecgsim"],
            "sigma": [0.01, 0.05, 0.1],
            "forward_subdivisions": [0, 1],
            "iterations": [0],
            "lbfgs": [0],
        },
        list(range(5)),
    ),
    # the seed's own draw, not screened: the paper's rate
    "init": (
        "net",
        {"net": NETS, "iterations": [0], "lbfgs": [0], "init_draws": [1]},
        list(range(30)),
    ),
}
# the paper's RE (σ = 0.01 unless the setting says otherwise) and bad-initialisation rates (%)
PAPER_RE = {
    ("derivatives", "ad"): 0.1435,
    ("derivatives", "nd"): 0.1174,
    ("net", "FNN10x5"): 0.1658,
    ("net", "FNN10x15"): 0.1137,
    # Sec. IV-B2's text (Fig. 8): NN5 is the 10 × 15 feed-forward net
    ("net", "NN1"): 0.1449,
    ("net", "NN2"): 0.1366,
    ("net", "NN3"): 0.1250,
    ("net", "NN4"): 0.1121,
    ("net", "NN5"): 0.1137,
    ("net", "NN6"): 0.0992,
    # Table III
    ("lam", 0.05): 0.1012,
    ("lam", 0.1): 0.0992,
    ("lam", 0.3): 0.1256,
    ("lam", 0.5): 0.1252,
    ("lam", 0.7): 0.1279,
    ("eand-arn", 0.01): 0.0992,
    ("ep-dl", 0.01): 0.1435,
    ("eand-arn", 0.1): 0.1075,
    ("ep-dl", 0.1): 0.1446,
}
PAPER_BASELINES = {0.01: (0.2666, 0.2185), 0.1: (0.5569, 0.2490)}  # Tikhonov-2, STRE RE
PAPER_BAD_INIT = {"NN1": 60.0, "NN2": 10.0, "NN3": 76.67, "NN4": 13.33, "NN5": 83.33, "NN6": 20.0}


def spec(args):
    """The sweep's SPEC: the experiment's grid × backends × seeds, the options fixed."""
    key, grid, seeds = EXPERIMENTS[args.experiment]
    grid = {"backend": args.backends, **grid}
    fixed = {
        "frames": args.frames,
        "iterations": args.iterations,
        "lbfgs": args.lbfgs,
        "input_scale": args.input_scale,
    }
    fixed = {k: v for k, v in fixed.items() if v is not None}
    if args.quick:
        grid = {k: v[:2] if k == key else v[:1] for k, v in grid.items()}
        fixed = {"quick": True, "frames": 21, "iterations": 5, **fixed}
    for name, value in fixed.items():
        if name not in grid:
            grid[name] = [value]
    for restriction in args.only:
        name, _, values = restriction.partition("=")
        if name not in grid:
            raise SystemExit(f"--only {restriction}: no {name!r} in the grid {sorted(grid)}")
        kept = [v for v in grid[name] if str(v) in values.split(",")]
        if not kept:
            raise SystemExit(f"--only {restriction}: none of {values!r} is in {grid[name]}")
        grid[name] = kept
    seeds = args.seeds or (seeds[:1] if args.quick else seeds)
    return {"runner": "eand_arn", "grid": grid, "seeds": seeds}


def _paper(experiment, settings):
    """The paper's RE for this setting and its (Tikhonov-2, STRE) RE on the same data."""
    if settings.get("geometry", "default") != "default" or settings.get("forward_subdivisions"):
        return None, None  # the paper's numbers are on its own geometry, with the inverse crime
    if experiment == "noise":
        sigma = settings["sigma"]
        return PAPER_RE.get((settings["method"], sigma)), PAPER_BASELINES.get(sigma)
    key = EXPERIMENTS[experiment][0]
    return PAPER_RE.get((key, settings[key])), PAPER_BASELINES[0.01]


def _mean(summary, scale=1.0, digits=4):
    if summary is None:
        return "—"
    mean, std = scale * summary["mean"], scale * summary["std"]
    return f"{mean:.{digits}f} ± {std:.{digits}f}" if summary["n"] > 1 else f"{mean:.{digits}f}"


def tables(folder, experiment):
    """Markdown: mean ± std per setting beside the paper's numbers."""
    rows, records = sweep_benchmark.load(folder, status=None)
    # the settings that vary label the rows; the fixed ones are in benchmark.json
    varying = {k for k in rows[0]["settings"] if len({str(r["settings"][k]) for r in rows}) > 1}

    def name(settings):
        return label({k: v for k, v in settings.items() if k in varying})

    if experiment == "init":
        head = (
            "| setting | seeds | bad init (%) | paper (%) | L_D at init | λ L_EP at init "
            "(min – max) | λ L_EP overflowed (%) |"
        )
        lines = [head, "|---|---|---|---|---|---|---|"]
        for row in rows:
            m, net, seeds = row["metrics"], row["settings"]["net"], len(row["seeds"])
            ep = m.get("init_ep")  # its statistics leave out the seeds where it overflowed
            finite = 0 if ep is None else ep["n"]
            cells = [
                name(row["settings"]),
                str(seeds),
                _mean(m.get("bad_init"), 100, 1),
                f"{PAPER_BAD_INIT.get(net, '—')}",
                _mean(m.get("init_data"), 1, 3),
                "—" if ep is None else f"{ep['min']:.3g} – {ep['max']:.3g}",
                f"{100 * (seeds - finite) / seeds:.1f}",
            ]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)
    if experiment == "crime":
        head = "| setting | seeds | Tikhonov-2 RE | STRE RE | Tikhonov-2 CC | STRE CC |"
        lines = [head, "|---|---|---|---|---|---|"]
        for row in rows:
            m = row["metrics"]
            cells = [name(row["settings"]), str(len(row["seeds"]))]
            cells += [_mean(m.get(f"{b}_{s}")) for s in ("re", "cc") for b in ("tikhonov2", "stre")]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)
    head = (
        "| setting | seeds | RE | CC | MSE | paper RE | Tikhonov-2 RE | paper | STRE RE | "
        "paper | Adam step (s) |"
    )
    lines = [head, "|" + "---|" * 11]
    for row in rows:
        m = row["metrics"]
        paper, baselines = _paper(experiment, row["settings"])
        cells = [
            name(row["settings"]),
            str(len(row["seeds"])),
            _mean(m.get("re")),
            _mean(m.get("cc")),
            _mean(m.get("mse")),
            "—" if paper is None else f"{paper:.4f}",
            _mean(m.get("tikhonov2_re")),
            "—" if baselines is None else f"{baselines[0]:.4f}",
            _mean(m.get("stre_re")),
            "—" if baselines is None else f"{baselines[1]:.4f}",
            _mean(m.get("adam_step_s"), 1, 3),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n" + per_seed(rows, records, name)


def per_seed(rows, records, name):
    """Markdown: each seed's RE per setting (* where the initialisation trained from was bad:
    λ L_EP > L_D before training; ^k where the screening kept draw k, not the seed's own) and
    the seeds that failed, with their error."""
    lines = [
        "| setting | RE per seed (* bad initialisation, ^k screened: draw k kept) | failed |",
        "|---|---|---|",
    ]
    for row in rows:
        runs = [r for r in records if r["settings"] == row["settings"]]
        runs.sort(key=lambda r: r["seed"])
        ok = [r for r in runs if r["status"] == "ok"]
        values = ", ".join(
            f"{r['seed']}: {r['metrics']['re']:.3f}{_marks(r['metrics'])}" for r in ok
        )
        failed = "; ".join(f"{r['seed']}: {r['error']}" for r in runs if r["status"] != "ok")
        lines.append(f"| {name(row['settings'])} | {values} | {failed or '—'} |")
    return "\n".join(lines)


def _marks(metrics):
    draw = metrics.get("init_draw")  # absent in records from before the screening
    return ("*" if metrics.get("bad_init") else "") + (f"^{draw:.0f}" if draw else "")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", choices=sorted(EXPERIMENTS), required=True)
    parser.add_argument("--backends", nargs="+", choices=SUPPORTED, default=["tensorflow"])
    parser.add_argument("--seeds", type=int, nargs="+", default=None, help="default: the paper's")
    parser.add_argument("--iterations", type=int, default=None, help="Adam steps (6000)")
    parser.add_argument("--lbfgs", type=int, default=None, help="L-BFGS iterations (0)")
    parser.add_argument(
        "--input-scale", type=float, default=None, help="factor on the network's inputs (2)"
    )
    parser.add_argument("--frames", type=int, default=None, help="frames (661)")
    parser.add_argument("--quick", action="store_true", help="a check that it runs (minutes)")
    parser.add_argument(
        "--only",
        nargs="+",
        default=[],
        metavar="SETTING=V1,V2",
        help="run part of the experiment's grid (e.g. method=eand-arn sigma=0.01); the cells "
        "are the full experiment's, so a later run without --only adds the rest",
    )
    sweep_benchmark.add_arguments(parser)
    args = parser.parse_args(argv)
    tag = "_quick" if args.quick else ""
    folder = args.out / f"ecg_eand_arn_{args.experiment}{tag}"
    paper = {"re": {str(k): v for k, v in PAPER_RE.items()}, "bad_init": PAPER_BAD_INIT}
    return sweep_benchmark.run(
        spec(args), folder, args, paper, lambda f: tables(f, args.experiment)
    )


if __name__ == "__main__":
    sys.exit(main())
