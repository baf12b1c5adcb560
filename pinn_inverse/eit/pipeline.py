"""EIT forward model and classical reconstructions: phantom, potential, NOSER and TV.

Draws one seeded phantom of each of the paper's kinds, simulates adjacent-injection data on a
fine mesh with noise at ``--snr`` dB (relative to the voltage change), reconstructs on a coarser
mesh with NOSER and TV (difference imaging, and absolute imaging unless ``--quick``), and
reports SSIM, CC and RIE on the disk mask, with figures.
"""

import numpy as np

from .. import metrics
from ..io import save_figure
from . import patterns
from .baselines import Reconstructor
from .dataset import add_noise
from .fem import ForwardModel
from .image import ImageGrid
from .mesh import disk_mesh
from .phantoms import KINDS, random_phantom
from .plotting import plot_mesh, plot_reconstructions, plot_sample

DATA_RANGE = 5.0
"""Fixed SSIM data range (S/m): the span of the paper's conductivities, 6 − 1."""


def add_arguments(parser):
    """Options of ``pinn-inverse run eit``."""
    parser.add_argument("--snr", type=float, default=20.0, help="noise level (dB), paper: 20")
    parser.add_argument("--image-size", type=int, default=64, help="pixels per side")


def score(image, truth, mask):
    """SSIM (fixed data range), CC and RIE of a conductivity image on the mask."""
    return {
        "ssim": metrics.ssim(image, truth, data_range=DATA_RANGE, mask=mask),
        "cc": metrics.pearson_cc(image, truth, mask),
        "rie": metrics.rie(image, truth, mask),
    }


def run(args):
    """Run the demo and return the report dict (config, metrics, figures)."""
    h_data, h_rec = (0.06, 0.1) if args.quick else (0.04, 0.08)
    size = 32 if args.quick else args.image_size
    fine, coarse = ForwardModel(disk_mesh(h=h_data)), ForwardModel(disk_mesh(h=h_rec))
    currents, meas = patterns.adjacent_injection(), patterns.adjacent_differences()
    rec = Reconstructor(coarse, currents, meas)
    data_grid, grid = ImageGrid(fine.mesh, size), ImageGrid(coarse.mesh, size)
    v_ref = fine.forward(1.0, currents, meas)
    rng = np.random.default_rng(args.seed)
    methods = {
        "NOSER (difference)": lambda v: 1 + rec.noser_difference(v_ref, v),
        "TV (difference)": lambda v: 1 + rec.tv_difference(v_ref, v),
    }
    if not args.quick:
        methods["NOSER (absolute)"] = rec.noser_absolute
        methods["TV (absolute)"] = rec.tv_absolute
    figures = [save_figure(plot_mesh(coarse.mesh), args.out / "eit_mesh.png").name]
    results = {}
    for kind in KINDS:
        phantom = random_phantom(kind, rng)
        sigma = phantom.sigma(fine.mesh.centroids)
        solution = fine.solve(sigma, patterns.trigonometric_pattern())
        truth_fine = data_grid.elementwise(sigma)
        fig = plot_sample(truth_fine, data_grid.nodal(solution.u[:, 0]), data_grid.mask)
        figures.append(save_figure(fig, args.out / f"eit_{kind}_sample.png").name)
        v = add_noise(fine.forward(sigma, currents, meas), args.snr, rng, reference=v_ref)
        truth = np.where(grid.mask, phantom.sigma(grid.points).reshape(size, size), 0)
        images = {}
        for name, method in methods.items():
            image = grid.elementwise(method(v))
            images[name] = (image, score(image, truth, grid.mask))
        results[kind] = {name: m for name, (_, m) in images.items()}
        fig = plot_reconstructions(truth, images, grid.mask)
        figures.append(save_figure(fig, args.out / f"eit_{kind}_reconstructions.png").name)
    return {
        "config": {
            "quick": args.quick,
            "seed": args.seed,
            "snr_db": args.snr,
            "image_size": size,
            "data_mesh": {"h": h_data, "elements": fine.n_elements},
            "reconstruction_mesh": {"h": h_rec, "elements": coarse.n_elements},
            "protocol": "adjacent injection, adjacent differences, 16 electrodes",
            "ssim_data_range": DATA_RANGE,
        },
        "metrics": results,
        "figures": figures,
    }
