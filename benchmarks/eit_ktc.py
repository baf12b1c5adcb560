"""KTC2023 level 1, real tank data: difference NOSER and TV, segmented and scored.

Difference data (target minus empty tank) on the organisers' mesh (Mesh_sparse.mat) with their
contact impedances, linearised at the homogeneous σ₀ fitted to the empty tank. Reconstructions
are sampled on the challenge's 256 × 256 grid, segmented by three-class Otsu with the
organisers' rule (largest class = water; see :func:`pinn_inverse.eit.ktc.segment`), and scored
with the KTC2023 score (mean SSIM of the conductive and resistive masks). The same-run
baselines are the all-water segmentation and the organisers' own rule applied to NOSER.
Hyper-parameters are the library defaults, set on synthetic validation phantoms, not here.

Usage: ``python benchmarks/eit_ktc.py [--data ../shared/data/eit/ktc2023]``.
Writes ``benchmarks/results/eit_ktc.json`` and ``benchmarks/results/eit_ktc.png``.
"""

import argparse
from pathlib import Path

import numpy as np

from pinn_inverse.eit import ktc
from pinn_inverse.eit.baselines import Reconstructor
from pinn_inverse.eit.fem import ForwardModel
from pinn_inverse.eit.image import ImageGrid
from pinn_inverse.eit.plotting import plot_ktc
from pinn_inverse.io import save_figure, shared_data, versions, write_json

DEFAULT = shared_data("eit", "ktc2023")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    args = parser.parse_args()
    mesh, z = ktc.load_mesh(args.data)
    inj, mpat, uref = ktc.load_reference(args.data)
    rec = Reconstructor(ForwardModel(mesh, z=z), inj, mpat)
    grid = ImageGrid(mesh, 256)
    sigma0 = rec.fit_homogeneous(uref)
    results = {"sigma0_data_units": sigma0, "targets": {}, "versions": versions()}
    panels = []
    for index in range(1, 5):
        _, _, uel = ktc.load_target(args.data, index)
        truth = ktc.load_truth(args.data, index)
        row = {"all_water": ktc.ktc_score(truth, np.zeros_like(truth))}
        images = {}
        for name, (image, labels, score, seconds) in ktc.classical(
            rec, uel, uref, sigma0, grid, truth
        ).items():
            row.update({name: score, f"{name}_seconds": seconds})
            images[name] = (image, labels)
        results["targets"][index] = row
        panels.append((index, truth, images))
        print(
            f"target {index}: NOSER {row['noser']:.3f}  TV {row['tv']:.3f}  "
            f"all-water {row['all_water']:.3f}  ({row['noser_seconds']:.1f} s, "
            f"{row['tv_seconds']:.1f} s)"
        )
    for key in ("noser", "tv", "all_water"):
        results[f"mean_{key}"] = float(np.mean([r[key] for r in results["targets"].values()]))
    print(
        f"mean: NOSER {results['mean_noser']:.3f}  TV {results['mean_tv']:.3f}  "
        f"all-water {results['mean_all_water']:.3f}"
    )
    out = Path(__file__).parent / "results"
    write_json(out / "eit_ktc.json", results)
    save_figure(plot_ktc(panels, grid.mask, results["targets"]), out / "eit_ktc.png")
    print(f"wrote {out / 'eit_ktc.json'}")


if __name__ == "__main__":
    main()
