"""The figures and numbers of docs/tutorials/06_cnn_pinn.md (CNN + PINN step by step).

Runs the page's code and writes ``cnn_pinn_*.png`` and ``cnn_pinn.json`` into ``--out``::

    python docs/tutorials/figures/make_cnn_pinn.py           # the page's run (cpu U-Net)
    python docs/tutorials/figures/make_cnn_pinn.py --quick --out /tmp/f --cache /tmp/f/cache

Stage 1 is the cpu preset of :data:`~pinn_inverse.eit.cnn_pinn.UNET_PRESETS` (``--quick``:
:data:`~pinn_inverse.eit.study.QUICK_UNET`), trained once and cached in ``--cache`` (the
cache ``pinn-inverse run eit`` uses). Stage 2 runs on one phantom of each of the paper's
cases, drawn and simulated as ``pinn-inverse run eit --oracle`` does with seed 0 (same
phantoms, noise and defaults). A stage loaded from the cache has no training loss history;
the script keeps the one of an earlier run in ``--out`` when its validation history is the
same, so the figure survives a rerun.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from pinn_inverse import metrics
from pinn_inverse.ecg.plotting import loss_curves
from pinn_inverse.eit import KINDS, adjacent_injection, make_dataset, random_phantom
from pinn_inverse.eit.cnn_pinn import (
    SIGMA_PRESETS,
    UNET_PRESETS,
    UNetConfig,
    cnn_pinn,
    train_unet,
)
from pinn_inverse.eit.pipeline import NAMES, score
from pinn_inverse.eit.plotting import plot_comparison, plot_potentials, plot_unet_history
from pinn_inverse.eit.study import MESHES, QUICK_UNET, Setup, reconstruct
from pinn_inverse.io import save_figure, write_json
from pinn_inverse.nets.unet import unet_layout

HERE = Path(__file__).resolve().parent
NUMBERS = "cnn_pinn.json"
SNR_DB = 20.0


def stage_one(quick, cache, previous):
    """Train (or load) the U-Net; its numbers, and the figures of its loss and of one test U."""
    preset = QUICK_UNET if quick else UNET_PRESETS["cpu"]
    config = UNetConfig(**preset["config"]) if quick else preset["config"]
    start = time.perf_counter()
    dataset = make_dataset(**preset["dataset"], cache_dir=cache, workers=1, progress=False)
    dataset_s = time.perf_counter() - start
    stage = train_unet(dataset, config, seed=0, cache=cache / "unet", progress=False)
    start = time.perf_counter()
    train_unet(dataset, config, seed=0, cache=cache / "unet", progress=False)  # the cache's
    load_s = time.perf_counter() - start
    record = stage.record
    if stage.trainer is not None:
        history = stage.trainer.history
    elif previous.get("stage1", {}).get("val_history") == record["val_history"]:
        history = previous["stage1"]["train_history"]
    else:
        history = None
    steps_per_epoch = len(dataset.train["dV"]) // config.batch_size
    figures = {
        "loss": plot_unet_history(record["val_history"], history, steps_per_epoch),
        "U": plot_potentials(
            dataset.test["U"][0], stage.predict(dataset.test["dV"][0]), stage.mask
        ),
    }
    refusals = []
    wrong = [
        {"n_electrodes": 32},
        {"image_size": 2 * stage.image_size},
        {"currents": adjacent_injection(stage.n_electrodes)[:, 0]},
    ]
    for kwargs in wrong:
        try:
            stage.check(**kwargs)
        except ValueError as err:
            refusals.append(str(err))
    norm = stage.normalisation
    U_std = np.array(norm.U_std).reshape(stage.mask.shape)[stage.mask]
    numbers = {
        "dataset": {
            **{split: len(getattr(dataset, split)["dV"]) for split in ("train", "val", "test")},
            "config": record["dataset"],
            "seconds": dataset_s,
        },
        "config": config.asdict(),
        "layout": unet_layout(
            stage.n_electrodes, stage.image_size, config.base_channels, config.depth
        ),
        "steps_per_epoch": steps_per_epoch,
        "epochs_run": record["epochs_run"],
        "best_epoch": record["best_epoch"],
        "val_loss": record["val_loss"],
        "val_history": record["val_history"],
        "train_history": history,
        "train_s": record["train_s"],
        "cache_load_s": load_s,
        "test": stage.evaluate(dataset.test),
        "test_sample_rel_l2": metrics.rel_l2(
            stage.predict(dataset.test["dV"][0]), dataset.test["U"][0], stage.mask
        ),
        "normalisation": {
            "dV_std_range": [min(norm.dV_std), max(norm.dV_std)],
            "U_std_range": [float(U_std.min()), float(U_std.max())],
        },
        "refusals": refusals,
    }
    return stage, numbers, figures


def stage_two(stage, quick):
    """CNN + PINN step by step on case 1, then every method on one phantom of each case."""
    setup = Setup.build(stage, *MESHES["quick" if quick else "full"])
    preset = SIGMA_PRESETS["default"].quick() if quick else SIGMA_PRESETS["default"]
    paper = SIGMA_PRESETS["paper"].quick() if quick else SIGMA_PRESETS["paper"]
    rng = np.random.default_rng(0)
    rows, numbers, images_out = {}, {"cases": {}}, {}
    for case in KINDS:
        data = setup.simulate(random_phantom(case, rng), SNR_DB, rng)
        methods = ["noser", "tv", "oracle", "cnn_pinn"]
        images, problems = reconstruct(setup, stage, data, methods, preset, None, 0)
        problem = problems["cnn_pinn"]
        order = ["noser", "tv", "cnn_pinn", "oracle"]
        scored = {m: score(images[m][0], data["sigma"], setup.mask) for m in order}
        rows[f"case {KINDS.index(case) + 1}"] = (
            data["sigma"],
            {NAMES[m]: (images[m][0], scored[m]) for m in order},
        )
        numbers["cases"][case] = {
            "scores": scored,
            "seconds": {m: images[m][1] for m in order},
            "U_rel_l2": metrics.rel_l2(problem.U, data["U"], setup.mesh_mask),
            "step_s": {m: problems[m].timings["adam_step_s"] for m in ("cnn_pinn", "oracle")},
        }
        images_out[case] = {"truth": data["sigma"], **{m: images[m][0] for m in order}}
        if case == KINDS[0]:
            first, first_data = problem, data
    weights = first.preset.weights
    history = first.trainer.history
    numbers["loss_names"] = first.loss_names
    numbers["weights"] = {"default": dict(weights), "paper": dict(paper.weights)}
    numbers["formulation"] = {"default": preset.formulation, "paper": paper.formulation}
    numbers["iterations"] = preset.iterations
    numbers["pixels"] = {
        "points": len(first.data.pixel_points),
        "boundary": int(first.data.pixel_aux[:, 3].sum()),
    }
    numbers["terms"] = {
        when: {
            name: {"weighted": value, "unweighted": value / weights[name]}
            for name, value in zip(first.loss_names, history[index]["loss"], strict=True)
        }
        for when, index in (("initial", 0), ("final", -1))
    }
    # Table I as printed on the same data: the reason for the default preset's weights
    start = time.perf_counter()
    as_printed = cnn_pinn(first_data["dV"], stage, mesh=setup.mesh, preset=paper, seed=0)
    as_printed.train(progress=False)
    image = as_printed.predict()
    with np.errstate(divide="ignore", invalid="ignore"):  # σ ≡ 1: its CC is undefined
        constant = score(np.where(setup.mask, 1.0, 0.0), first_data["sigma"], setup.mask)
    del constant["cc"]
    numbers["paper_preset"] = {
        "scores": score(image, first_data["sigma"], setup.mask),
        "constant": constant,
        "sigma_range": [float(image[setup.mask].min()), float(image[setup.mask].max())],
        "final_loss": as_printed.trainer.final_losses(),
        "seconds": time.perf_counter() - start,
    }
    numbers["image_size"] = setup.size
    numbers["meshes"] = {
        "data": {"h": MESHES["quick" if quick else "full"][0], "elements": setup.fine.n_elements},
        "reconstruction": {
            "h": MESHES["quick" if quick else "full"][1],
            "elements": setup.coarse.n_elements,
        },
    }
    figures = {
        "loss_terms": loss_curves(history, first.loss_names, "σ-PINN, case 1 (weighted terms)"),
        "fig4": plot_comparison(rows, setup.mask),
    }
    return numbers, figures, {"mask": setup.mask, "images": images_out}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="test sizes (seconds)")
    parser.add_argument("--out", type=Path, default=HERE, help="folder of the PNGs and JSON")
    parser.add_argument("--cache", type=Path, default=Path("~/.cache/pinn_inverse/eit"))
    parser.add_argument("--arrays", action="store_true", help="also write the images (npz)")
    args = parser.parse_args(argv)
    out, cache = args.out, args.cache.expanduser()
    out.mkdir(parents=True, exist_ok=True)
    previous = json.loads((out / NUMBERS).read_text()) if (out / NUMBERS).exists() else {}
    begin = time.perf_counter()
    stage, stage1, figures = stage_one(args.quick, cache, previous)
    stage2, more, arrays = stage_two(stage, args.quick)
    figures.update(more)
    from pinn_inverse.backend import backend_name

    numbers = {
        "quick": args.quick,
        "backend": backend_name(),
        "stage1": stage1,
        "stage2": stage2,
        "figures": {},
    }
    for name, fig in figures.items():
        path = save_figure(fig, out / f"cnn_pinn_{name}.png")
        numbers["figures"][name] = {"file": path.name, "bytes": path.stat().st_size}
    numbers["run_s"] = time.perf_counter() - begin
    write_json(out / NUMBERS, numbers)
    if args.arrays:
        flat = {f"{case}_{k}": v for case, ims in arrays["images"].items() for k, v in ims.items()}
        np.savez(out / "cnn_pinn_images.npz", mask=arrays["mask"], **flat)
    summary = {k: v for k, v in stage1.items() if k not in ("train_history", "val_history")}
    print(json.dumps({"stage1": summary, "stage2": stage2}, indent=1, default=str))
    return numbers


if __name__ == "__main__":
    main()
