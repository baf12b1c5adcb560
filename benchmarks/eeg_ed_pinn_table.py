"""The benchmarks page's ED-PINN tables, printed as Markdown from the JSON reports of
``eeg_ed_pinn.py`` (so that no number on the page is copied by hand).

    python benchmarks/eeg_ed_pinn_table.py benchmarks/results/eeg_ed_pinn_*_default_hard-shells.json
"""

import argparse
import json
from pathlib import Path

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


def tables(reports):
    """Mean ± std per mode and backend, then localisation per seed."""
    head = "| mode | backend | seeds | " + " | ".join(c[1] for c in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 3)]
    for report in reports:
        for mode, summary in report["summary"].items():
            seeds = sorted({r["seed"] for r in report["runs"] if r["mode"] == mode})
            values = [cell(summary[key], scale, digits) for key, _, scale, digits in COLUMNS]
            row = [mode, report["backend"], " ".join(map(str, seeds)), *values]
            lines.append("| " + " | ".join(row) + " |")
    lines += ["", "| mode | backend | localisation per seed (mm) | RelL2 volume per seed (%) |"]
    lines.append("|---|---|---|---|")
    for report in reports:
        for mode in report["summary"]:
            runs = sorted((r for r in report["runs"] if r["mode"] == mode), key=lambda r: r["seed"])
            where = ", ".join(f"{r['localization_error_mm']:.2f}" for r in runs)
            rel = ", ".join(f"{100 * r['rel_l2_volume']:.2f}" for r in runs)
            lines.append(f"| {mode} | {report['backend']} | {where} | {rel} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", type=Path, nargs="+")
    args = parser.parse_args(argv)
    reports = [json.loads(path.read_text()) for path in args.reports]
    for path, report in zip(args.reports, reports, strict=True):
        print(f"<!-- {path.name}: commit {report.get('commit')}, source {report['source']} -->")
    print(tables(reports))


if __name__ == "__main__":
    main()
