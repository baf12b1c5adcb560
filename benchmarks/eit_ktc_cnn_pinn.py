"""KTC2023 level 1, real tank data: CNN + PINN beside difference NOSER and TV, in one run.

Stage 1 (the U-Net) is trained on simulated data of the tank (its mesh, contact impedances,
injections, resistive and conductive inclusions; :mod:`pinn_inverse.eit.cnn_pinn.ktc`), the
σ-PINN's Adam steps are chosen on simulated validation phantoms, then the four targets are
reconstructed, segmented as the organisers do and scored once with the KTC score. Nothing
is chosen on the targets.

Usage: ``python benchmarks/eit_ktc_cnn_pinn.py [--data ../shared/data/eit/ktc2023] [--quick]
[--oracle]`` (``--oracle``: a diagnostic on the validation phantoms, the σ-PINN on the true U).
Writes ``benchmarks/results/eit_ktc_cnn_pinn.json``, ``.png`` and ``.md`` (the table);
``--quick`` into ``benchmarks/results/quick``.
"""

import argparse
from pathlib import Path

from pinn_inverse.backend import backend_name
from pinn_inverse.eit.cnn_pinn.ktc import run
from pinn_inverse.io import shared_data, versions, write_json

DEFAULT = shared_data("eit", "ktc2023")
NAMES = {"cnn_pinn": "CNN + PINN", "noser": "NOSER", "tv": "TV", "all_water": "all water"}


def table(report):
    """The markdown table: a row per target and the mean, a column per method."""
    lines = [
        "| target | " + " | ".join(NAMES.values()) + " |",
        "|---" * (len(NAMES) + 1) + "|",
    ]
    for index, row in report["targets"].items():
        lines.append(f"| {index} | " + " | ".join(f"{row[m]:.3f}" for m in NAMES) + " |")
    lines.append("| mean | " + " | ".join(f"{report[f'mean_{m}']:.3f}" for m in NAMES) + " |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--quick", action="store_true", help="test sizes, one target")
    parser.add_argument("--cache", default="~/.cache/pinn_inverse/eit", help="cache folder")
    parser.add_argument(
        "--oracle", action="store_true", help="validation also trains the σ-PINN on the true U"
    )
    args = parser.parse_args()
    out = Path(__file__).parent / "results" / ("quick" if args.quick else "")
    name = "eit_ktc_cnn_pinn"
    report = run(
        args.data,
        out,
        size="quick" if args.quick else "full",
        cache=args.cache,
        targets=(1,) if args.quick else (1, 2, 3, 4),
        progress=True,
        oracle=args.oracle,
    )
    report.update(backend=backend_name(), versions=versions())
    write_json(out / f"{name}.json", report)
    (out / f"{name}.md").write_text(table(report))
    print(table(report))
    print(f"wrote {out / name}.json, .md and {report['figure']}")


if __name__ == "__main__":
    main()
