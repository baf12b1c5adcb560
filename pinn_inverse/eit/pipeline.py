"""EIT: phantom, potential, NOSER, TV and CNN + PINN (stage 1 U-Net, stage 2 σ-PINN).

Draws one seeded phantom of each of the paper's kinds (or of ``--case``), simulates its data
on a finer mesh than stage 1's training data, with noise at ``--snr`` dB relative to the
voltage change: adjacent injection for NOSER and TV (reconstructed on a coarser mesh, as
difference images, and absolute ones unless ``--quick``), ΔV under the paper's current
pattern g for CNN + PINN (:mod:`~pinn_inverse.eit.study`). Stage 1 (the ``--unet`` preset) is
trained once and cached in ``--cache``; ``--oracle`` adds the σ-PINN trained on the true U.
Reports SSIM, CC and RIE on the pixels inside both the image's disk and the reconstruction
mesh, with figures (one per phantom, and all phantoms × methods as the paper's Fig. 4).
``--ktc`` runs the real KTC2023 tank instead (:mod:`~pinn_inverse.eit.cnn_pinn.ktc`).
"""

from pathlib import Path

import numpy as np

from .. import metrics
from ..io import save_figure, shared_data
from ..validation import as_array, check_choice, check_int
from .phantoms import KINDS, random_phantom
from .plotting import plot_comparison, plot_mesh, plot_reconstructions, plot_sample
from .study import MESHES, Setup, reconstruct, stage_one

DATA_RANGE = 5.0
"""Fixed SSIM data range (S/m): the span of the paper's conductivities, 6 − 1."""

NAMES = {
    "noser": "NOSER (difference)",
    "tv": "TV (difference)",
    "cnn_pinn": "CNN + PINN",
    "oracle": "PINN (true U)",
}


def add_arguments(parser):
    """Options of ``pinn-inverse run eit``."""
    parser.add_argument("--snr", type=float, default=20.0, help="noise level (dB), paper: 20")
    parser.add_argument(
        "--case", choices=KINDS, default=None, help="one kind of phantom (default: all three)"
    )
    parser.add_argument("--oracle", action="store_true", help="add the PINN on the true U")
    parser.add_argument(
        "--unet",
        choices=("cpu", "paper"),
        default="cpu",
        help="stage 1's preset (its image size is the report's; --quick: a test-size one)",
    )
    parser.add_argument(
        "--cache", default="~/.cache/pinn_inverse/eit", help="dataset and U-Net cache folder"
    )
    parser.add_argument(
        "--ktc",
        action="store_true",
        help="the real KTC2023 tank instead: CNN + PINN, NOSER and TV on its level-1 targets",
    )
    parser.add_argument(
        "--ktc-data",
        type=Path,
        default=shared_data("eit", "ktc2023"),
        help="the KTC2023 data folder (--ktc)",
    )


def score(image, truth, mask):
    """SSIM (fixed data range), CC and RIE of a conductivity image on the mask."""
    return {
        "ssim": metrics.ssim(image, truth, data_range=DATA_RANGE, mask=mask),
        "cc": metrics.pearson_cc(image, truth, mask),
        "rie": metrics.rie(image, truth, mask),
    }


def check(args):
    """Refuse a bad option before any work: the command shows the message as a usage error."""
    check_int(args.seed, "--seed", minimum=0)
    as_array(args.snr, "--snr (dB)")  # finite
    if args.ktc and not (Path(args.ktc_data) / "Mesh_sparse.mat").is_file():
        raise ValueError(
            f"--ktc-data {args.ktc_data} is not a KTC2023 folder (no Mesh_sparse.mat): give the "
            "folder of the challenge's training data, or set PINN_INVERSE_DATA"
        )


def run(args):
    """Run the demo and return the report dict (config, metrics, stage 1, stage 2, figures)."""
    if args.ktc:
        return run_ktc(args)
    from .cnn_pinn import SIGMA_PRESETS  # imports DeepXDE: here, after --backend is set

    kinds = KINDS if args.case is None else (check_choice(args.case, "case", KINDS),)
    stage, _, stage1_s = stage_one("quick" if args.quick else args.unet, args.seed, args.cache)
    h_data, h_rec = MESHES["quick" if args.quick else "full"]
    setup = Setup.build(stage, h_data, h_rec)
    preset = SIGMA_PRESETS["default"]
    preset = preset.quick() if args.quick else preset
    rec = setup.reconstructor
    extra = {}
    if not args.quick:
        extra = {"NOSER (absolute)": rec.noser_absolute, "TV (absolute)": rec.tv_absolute}
    methods = ["noser", "tv", "cnn_pinn"] + (["oracle"] if args.oracle else [])
    rng = np.random.default_rng(args.seed)
    figures = [save_figure(plot_mesh(setup.coarse.mesh), args.out / "eit_mesh.png").name]
    results, stage2, rows = {}, {}, {}
    for kind in kinds:
        data = setup.simulate(random_phantom(kind, rng), args.snr, rng)
        fig = plot_sample(data["sigma_fine"], data["U"], setup.mesh_mask)
        figures.append(save_figure(fig, args.out / f"eit_{kind}_sample.png").name)
        images, problems = reconstruct(setup, stage, data, methods, preset, None, args.seed)
        shown = {NAMES[m]: images[m][0] for m in methods}
        for name, method in extra.items():
            shown[name] = setup.grid.elementwise(method(data["v"]))
        scored = {n: (im, score(im, data["sigma"], setup.mask)) for n, im in shown.items()}
        results[kind] = {n: m for n, (_, m) in scored.items()}
        stage2[kind] = {
            "seconds": {NAMES[m]: images[m][1] for m in methods},
            "U_rel_l2": metrics.rel_l2(problems["cnn_pinn"].U, data["U"], setup.mesh_mask),
            "training": {NAMES[m]: p.trainer.report() for m, p in problems.items()},
        }
        fig = plot_reconstructions(data["sigma"], scored, setup.mask)
        figures.append(save_figure(fig, args.out / f"eit_{kind}_reconstructions.png").name)
        rows[kind] = (data["sigma"], scored)
    figures.append(save_figure(plot_comparison(rows, setup.mask), args.out / "eit_fig4.png").name)
    return {
        "config": {
            "quick": args.quick,
            "seed": args.seed,
            "snr_db": args.snr,
            "cases": list(kinds),
            "image_size": setup.size,
            "data_mesh": {"h": h_data, "elements": setup.fine.n_elements},
            "reconstruction_mesh": {"h": h_rec, "elements": setup.coarse.n_elements},
            "protocol": "NOSER, TV: adjacent injection, adjacent differences, 16 electrodes; "
            "CNN + PINN: adjacent differences under g = sin(2πk/L)/√(2π)",
            "ssim_data_range": DATA_RANGE,
            "sigma_pinn_preset": preset.asdict(),
        },
        "metrics": results,
        "stage1": {**stage.report(), "seconds": stage1_s},
        "stage2": stage2,
        "figures": figures,
    }


def run_ktc(args):
    """``--ktc``: :func:`pinn_inverse.eit.cnn_pinn.ktc.run` on the four targets (``--quick``:
    its quick sizes on target 1)."""
    from .cnn_pinn import ktc

    targets = (1,) if args.quick else (1, 2, 3, 4)
    size = "quick" if args.quick else "full"
    report = ktc.run(args.ktc_data, args.out, size, args.seed, args.cache, targets)
    figure = report.pop("figure")
    return {**report, "figures": [figure]}
