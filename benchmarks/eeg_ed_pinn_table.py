"""The benchmarks page's ED-PINN tables, as Markdown, from the sweep folders of
``eeg_ed_pinn.py``: the aggregate (mean ± std per backend and mode) and the records (each
seed), so that no number on the page is copied by hand.

    python benchmarks/eeg_ed_pinn_table.py benchmarks/results/sweeps/eeg_ed_pinn_default_hard-shells
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from sweep_benchmark import load  # noqa: E402 (the shared part of the sweep benchmarks)

COLUMNS = (  # key, header, scale, digits
    ("localization_error_mm", "localisation (mm)", 1, 2),
    ("centroid_error_mm", "centroid (mm)", 1, 2),
    ("rel_l2_volume", "RelL2 volume (%)", 100, 2),
    ("rel_l2_data_fit", "data fit (%)", 100, 1),
    ("run_s", "run (s)", 1, 0),
    ("adam_step_s", "Adam step (s)", 1, 2),
    ("lbfgs_s", "L-BFGS (s)", 1, 0),
)


def cell(summary, scale, digits):
    if summary is None:
        return "—"
    mean, std = scale * summary["mean"], scale * summary["std"]
    return f"{mean:.{digits}f} ± {std:.{digits}f}" if summary["n"] > 1 else f"{mean:.{digits}f}"


def tables(folders):
    """Mean ± std per mode and backend, then localisation and RelL2 per seed."""
    head = "| mode | backend | seeds | " + " | ".join(c[1] for c in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 3)]
    per_seed = ["| mode | backend | localisation per seed (mm) | RelL2 volume per seed (%) |"]
    per_seed.append("|---|---|---|---|")
    for folder in folders:
        rows, records = load(folder)
        for row in rows:
            if not row["seeds"]:
                continue
            settings = row["settings"]
            values = [cell(row["metrics"].get(k), scale, d) for k, _, scale, d in COLUMNS]
            seeds = " ".join(map(str, sorted(row["seeds"])))
            lines.append(
                "| " + " | ".join([settings["mode"], settings["backend"], seeds, *values]) + " |"
            )
            runs = sorted(
                (r for r in records if r["settings"] == settings), key=lambda r: r["seed"]
            )
            where = ", ".join(f"{r['metrics']['localization_error_mm']:.2f}" for r in runs)
            rel = ", ".join(f"{100 * r['metrics']['rel_l2_volume']:.2f}" for r in runs)
            per_seed.append(f"| {settings['mode']} | {settings['backend']} | {where} | {rel} |")
    return "\n".join([*lines, "", *per_seed])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", type=Path, nargs="+", help="sweep folders of eeg_ed_pinn.py")
    args = parser.parse_args(argv)
    for folder in args.folders:
        bench = json.loads((folder / "benchmark.json").read_text())
        print(f"<!-- {folder.name}: commit {bench['commit']}, settings {bench['spec']['grid']} -->")
    print(tables(args.folders))


if __name__ == "__main__":
    main()
