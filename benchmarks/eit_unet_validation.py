"""Benchmark: stage 1's U-Net on simulated validation phantoms, one training setting a run.

Chooses the ``cpu`` preset of stage 1 without the test phantoms of Table II: the U-Net of
a setting (training samples ``--n``, ``--channels``, ``--epochs``, ``--patience``) is
trained as :func:`~pinn_inverse.eit.study.stage_one` trains it (same dataset and U-Net
caches, so Table II reuses a setting it picks), then scored on validation phantoms drawn
from a stream of their own, seeded by (:data:`VALIDATION_STREAM`, 0): the same phantoms for
every setting, apart from the test phantoms' (2025, seed) and the dataset's (0, split,
shard). Their data are made as the test phantoms' are (:class:`~pinn_inverse.eit.study.Setup`:
a finer mesh, h = 0.04, and 20 dB noise on ΔV). Scores, per case and over all:

- the relative L2 error of U, and of U − U₀ (U₀ the homogeneous disk's potential under g:
  the part of U the inclusions make, which is what stage 2 reads σ from), from the noisy ΔV
  and from the same phantoms' noise-free ΔV;
- with ``--sigma-phantoms k``, SSIM and CC of CNN + PINN on the first k phantoms of each
  case: with the σ-PINN's defaults, or, with ``--tv`` and ``--iterations``, with each of
  those stage-2 settings (the TV weight τ, the Adam steps) on the same U-Net's U, beside
  NOSER's and TV's scores on the same phantoms (choosing stage 2 for CNN + PINN without
  the test phantoms).

    python benchmarks/eit_unet_validation.py --n 4000 --sigma-phantoms 3
    python benchmarks/eit_unet_validation.py --n 4000 --decay 40 52 --noise 20 \
        --sigma-phantoms 5 --tv 0.01 0.03 0.1 --iterations 1000 3000

Each run adds its setting to ``benchmarks/results/eit_unet_validation.json``.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from pinn_inverse import metrics
from pinn_inverse.backend import backend_name
from pinn_inverse.io import versions, write_json

VALIDATION_STREAM = 2024
"""First word of the validation phantoms' seed: a stream apart from the test phantoms'
(:data:`~pinn_inverse.eit.study.TEST_STREAM`) and the dataset's."""

OUT = Path(__file__).parent / "results" / "eit_unet_validation.json"


def train(args):
    """The setting's stage 1 and dataset, trained (or read from the caches) as stage_one does."""
    from pinn_inverse.eit.cnn_pinn import UNET_PRESETS, UNetConfig, train_unet
    from pinn_inverse.eit.dataset import make_dataset

    cache = Path(args.cache).expanduser()
    size = UNET_PRESETS["cpu"]["dataset"]["image_size"]
    config = UNetConfig(
        base_channels=args.channels,
        epochs=args.epochs,
        patience=args.patience,
        learning_rate=args.lr,
        decay_epochs=tuple(args.decay),
        noise_db=args.noise,
    )
    start = time.perf_counter()
    dataset = make_dataset(n=args.n, image_size=size, cache_dir=cache, workers=1)
    dataset_s = time.perf_counter() - start
    stage = train_unet(dataset, config, seed=args.seed, cache=cache / "unet")
    return stage, dataset, dataset_s


def homogeneous(model, grid, currents, mask):
    """U₀: the homogeneous disk's potential image (V) under ``currents`` on ``grid``."""
    return np.where(mask, grid.nodal(model.solve(1.0, currents).u[:, 0]), 0.0)


def sigma_settings(args):
    """The stage-2 settings to score: ``{name: (preset, Adam steps)}``; the default preset
    alone unless ``--tv`` or ``--iterations`` are given."""
    from pinn_inverse.eit.cnn_pinn import SIGMA_PRESETS

    default = SIGMA_PRESETS["default"]
    if not args.tv and not args.iterations:
        return {"cnn_pinn": (default, None)}
    settings = {}
    for tv in args.tv or [default.weights["tv"]]:
        for steps in args.iterations or [default.iterations]:
            preset = default.replace(weights={**default.weights, "tv": tv})
            settings[f"cnn_pinn_tv{tv:g}_it{steps}"] = (preset, steps)
    return settings


def score_unet(stage, dataset, args):
    """Errors of U and U − U₀ per validation phantom; CNN + PINN's SSIM and CC on some (each
    stage-2 setting of :func:`sigma_settings`), and NOSER's and TV's on the same."""
    from pinn_inverse.eit.fem import ForwardModel
    from pinn_inverse.eit.image import ImageGrid
    from pinn_inverse.eit.phantoms import KINDS, random_phantom
    from pinn_inverse.eit.study import MESHES, Setup

    setup = Setup.build(stage, *MESHES["full"])
    mask = setup.mesh_mask
    U0 = homogeneous(setup.fine, setup.data_grid, setup.g, mask)
    rng = np.random.default_rng([VALIDATION_STREAM, 0])
    cases = {}
    for case in KINDS:
        rows = []
        for index in range(args.phantoms):
            phantom = random_phantom(case, rng)
            data = setup.simulate(phantom, 20.0, rng)
            clean = setup.fine.solve(phantom.sigma(setup.fine.mesh.centroids), setup.g)
            dV_clean = setup.differences.T @ clean.U[:, 0]
            row = {}
            for name, dV in (("noisy", data["dV"]), ("clean", dV_clean)):
                U = stage.predict(dV)
                row[f"U_{name}"] = metrics.rel_l2(U, data["U"], mask)
                row[f"dU_{name}"] = metrics.rel_l2(U - U0, data["U"] - U0, mask)
            if index < args.sigma_phantoms:
                row.update(score_sigma(setup, stage, data, sigma_settings(args)))
            rows.append(row)
        cases[case] = {key: float(np.mean([r[key] for r in rows if key in r])) for key in rows[0]}
    overall = {key: float(np.mean([c[key] for c in cases.values()])) for key in cases[KINDS[0]]}
    # the dataset's own validation split (noise-free ΔV, the training mesh): U − U₀ there
    config = stage.record["dataset"]
    coarse = ForwardModel(setup.mesh, z=config["z"])
    U0_val = homogeneous(coarse, ImageGrid(setup.mesh, setup.size), setup.g, mask)
    val = dataset.val
    predicted = stage.predict(val["dV"])
    split = [
        metrics.rel_l2(u - U0_val, t - U0_val, mask)
        for u, t in zip(predicted, val["U"], strict=True)
    ]
    return {"cases": cases, "overall": overall, "val_split_dU": float(np.mean(split))}


def score_sigma(setup, stage, data, settings):
    """SSIM and CC of NOSER, TV and each CNN + PINN setting on one phantom's data; the
    default setting's keys are ``ssim``, ``cc`` and ``sigma_s``, as before settings."""
    from pinn_inverse.eit.pipeline import score
    from pinn_inverse.eit.study import reconstruct

    row = {}
    images, _ = reconstruct(setup, stage, data, ("noser", "tv"), None, None, 0)
    for method, (image, _) in images.items():
        row.update({f"{method}_{k}": v for k, v in score(image, data["sigma"], setup.mask).items()})
    for name, (preset, steps) in settings.items():
        images, _ = reconstruct(setup, stage, data, ("cnn_pinn",), preset, steps, 0)
        image, seconds = images["cnn_pinn"]
        scores = score(image, data["sigma"], setup.mask)
        prefix = "" if name == "cnn_pinn" else f"{name}_"
        row.update({f"{prefix}{k}": v for k, v in scores.items()}, **{f"{prefix}sigma_s": seconds})
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="training + validation samples")
    parser.add_argument("--channels", type=int, default=16, help="the U-Net's base_channels")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--patience", type=int, default=15)
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate")
    parser.add_argument(
        "--decay", type=int, nargs="*", default=[], help="epochs where the rate drops tenfold"
    )
    parser.add_argument("--noise", type=float, default=None, help="training noise (dB)")
    parser.add_argument("--seed", type=int, default=0, help="the U-Net's seed")
    parser.add_argument("--phantoms", type=int, default=10, help="validation phantoms per case")
    parser.add_argument("--sigma-phantoms", type=int, default=0, help="of them, for CNN + PINN")
    parser.add_argument(
        "--tv", type=float, nargs="*", default=[], help="stage 2's TV weights τ to score"
    )
    parser.add_argument(
        "--iterations", type=int, nargs="*", default=[], help="stage 2's Adam steps to score"
    )
    parser.add_argument("--cache", default="~/.cache/pinn_inverse/eit")
    args = parser.parse_args()
    decay = "-".join(map(str, args.decay))
    name = f"n{args.n}_c{args.channels}_e{args.epochs}_p{args.patience}_lr{args.lr:g}_d{decay}"
    name += f"_s{args.seed}" + ("" if args.noise is None else f"_noise{args.noise:g}")
    if args.tv or args.iterations:
        name += f"_sigma{args.sigma_phantoms}_tv{args.tv}_it{args.iterations}"
    begin = time.perf_counter()
    stage, dataset, dataset_s = train(args)
    scores = score_unet(stage, dataset, args)
    record = stage.record
    entry = {
        "setting": vars(args),
        **scores,
        "dataset_s": dataset_s,
        "unet_train_s": record["train_s"],
        "epochs_run": record["epochs_run"],
        "best_epoch": record["best_epoch"],
        "val_loss": record["val_loss"],
        "run_s": time.perf_counter() - begin,
        "backend": backend_name(),
        "versions": versions(),
    }
    results = json.loads(OUT.read_text()) if OUT.exists() else {}
    results[name] = entry
    write_json(OUT, results)
    print(name, {k: round(v, 4) for k, v in scores["overall"].items()}, scores["val_split_dU"])


if __name__ == "__main__":
    main()
