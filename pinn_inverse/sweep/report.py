"""A sweep's aggregate: mean ± std, min, max and n over seeds, per setting and metric.

Written beside the records as ``aggregate.json``, ``aggregate.md`` (one table per metric,
the form of the benchmarks page) and ``aggregate.png`` (each metric against the settings:
one point per seed, the mean ± std in black). The std is the population std (``ddof=0``),
as in the benchmarks' earlier tables.
"""

import numpy as np

from .. import __version__
from ..io import atomic_path, save_figure, write_json
from .records import read_records


def label(settings):
    """A short label for a setting: ``mode=free, lbfgs=200`` (``default`` when empty)."""
    return ", ".join(f"{k}={v}" for k, v in settings.items()) or "default"


def _stats(values):
    values = np.asarray(values, dtype=float)
    return {
        "mean": float(values.mean()),
        "std": float(values.std()),
        "min": float(values.min()),
        "max": float(values.max()),
        "n": int(values.size),
    }


def aggregate(spec, records):
    """The aggregate of ``records`` (by key) over the cells of ``spec``, in the SPEC's order.

    Returns a dict with ``runner``, ``version``, ``cells``, ``ok``, ``failed`` and ``rows``:
    one row per setting with its ``settings``, ``seeds`` (finished), ``failed_seeds`` and
    ``metrics`` (name → mean, std, min, max, n). A metric that is ``None`` for a seed (it does
    not apply there) is left out of that seed's statistics.
    """
    rows = []
    for settings in spec.settings:
        cells = [c for c in spec.cells() if c.settings == settings]
        ok = [records[c.key] for c in cells if records.get(c.key, {}).get("status") == "ok"]
        names = dict.fromkeys(name for r in ok for name in r["metrics"])
        metrics = {}
        for name in names:
            values = [r["metrics"][name] for r in ok if r["metrics"].get(name) is not None]
            if values:
                metrics[name] = _stats(values)
        rows.append(
            {
                "settings": settings,
                "seeds": [r["seed"] for r in ok],
                "failed_seeds": [
                    c.seed for c in cells if records.get(c.key, {}).get("status") == "failed"
                ],
                "metrics": metrics,
            }
        )
    return {
        "runner": spec.runner,
        "version": __version__,
        "cells": len(spec.cells()),
        "ok": sum(len(row["seeds"]) for row in rows),
        "failed": sum(len(row["failed_seeds"]) for row in rows),
        "rows": rows,
    }


def markdown(table):
    """The aggregate as Markdown: one table per metric, one row per setting."""
    lines = [
        f"# Sweep of `{table['runner']}`",
        "",
        f"{table['cells']} cells: {table['ok']} finished, {table['failed']} failed "
        f"(pinn_inverse {table['version']}). Mean ± std (ddof=0) over seeds.",
    ]
    for name in dict.fromkeys(n for row in table["rows"] for n in row["metrics"]):
        lines += ["", f"## {name}", "", "| settings | mean ± std | min | max | n |"]
        lines.append("|---|---|---|---|---|")
        for row in table["rows"]:
            s = row["metrics"].get(name)
            if s:
                lines.append(
                    f"| {label(row['settings'])} | {s['mean']:.4g} ± {s['std']:.2g} | "
                    f"{s['min']:.4g} | {s['max']:.4g} | {s['n']} |"
                )
    return "\n".join(lines) + "\n"


def figure(table, records):
    """Each metric against the settings: one point per seed, the mean ± std in black."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(n for row in table["rows"] for n in row["metrics"]))
    fig, axes = plt.subplots(
        max(len(names), 1), 1, figsize=(max(4, 1.2 * len(table["rows"])), 2.4 * max(len(names), 1))
    )
    axes = np.atleast_1d(axes)
    labels = [label(row["settings"]) for row in table["rows"]]
    for ax, name in zip(axes, names, strict=False):
        for i, row in enumerate(table["rows"]):
            values = [
                r["metrics"][name]
                for r in records
                if r["settings"] == row["settings"] and r["metrics"].get(name) is not None
            ]
            ax.plot(np.full(len(values), i), values, "o", color="C0", alpha=0.5, ms=4)
            if name in row["metrics"]:
                s = row["metrics"][name]
                ax.errorbar(i + 0.15, s["mean"], s["std"], fmt="s", color="k", ms=5, capsize=3)
        ax.set_ylabel(name, fontsize=8)
        ax.set_xticks(range(len(labels)), labels if ax is axes[-1] else [], rotation=30, ha="right")
    axes[0].set_title(f"{table['runner']}: seeds (blue), mean ± std (black)", fontsize=9)
    return fig


def write_report(spec, folder):
    """Aggregate the records in ``folder`` and write ``aggregate.{json,md,png}``; return paths."""
    records = read_records(folder, spec.cells())
    table = aggregate(spec, records)
    json_path = write_json(folder / "aggregate.json", table)
    md_path = folder / "aggregate.md"
    with atomic_path(md_path) as tmp:
        tmp.write_text(markdown(table))
    ok = [r for r in records.values() if r["status"] == "ok"]
    png_path = save_figure(figure(table, ok), folder / "aggregate.png")
    return [json_path, md_path, png_path]
