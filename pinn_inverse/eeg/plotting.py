"""EEG figures: a central slice with the shell outlines, and a scalp map with the electrodes."""

import matplotlib.pyplot as plt
import numpy as np


def _symmetric_limits(values):
    vmax = float(np.nanmax(np.abs(values)))
    return -vmax, vmax


def plot_slice(
    head, grid, volume, axis=2, ax=None, title="potential", unit="µV", scale=1e6, source=None
):
    """Central slice of a volume (n, n, n) with the shell outlines; returns the axes.

    Parameters
    ----------
    axis : int
        Axis normal to the slice (2: the z = 0 plane, as in the paper's Fig. 1).
    scale : float
        Multiplier for display (1e6 shows volts as µV).
    source : optional
        A source with ``position`` to mark with a cross (m).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 3.6))
    # the plane through the centre lies between two cell layers for even n: average them
    half = grid.n // 2
    layers = [half - 1, half] if grid.n % 2 == 0 else [half]
    image = np.mean([np.take(volume, i, axis=axis) for i in layers], axis=0) * scale
    extent = np.array([-1, 1, -1, 1]) * grid.half_width * 1e3
    lo, hi = _symmetric_limits(image)
    shown = ax.imshow(image.T, origin="lower", extent=extent, cmap="RdBu_r", vmin=lo, vmax=hi)
    plt.colorbar(shown, ax=ax, label=unit, shrink=0.85)
    angle = np.linspace(0, 2 * np.pi, 200)
    for radius in head.radii:
        ax.plot(radius * 1e3 * np.cos(angle), radius * 1e3 * np.sin(angle), "k-", lw=0.6)
    if source is not None:
        position = np.delete(np.asarray(source.position), axis) * 1e3
        ax.plot(*position, "kx", ms=8, mew=2)
    names = np.delete(np.array(["x", "y", "z"]), axis)
    ax.set(xlabel=f"{names[0]} (mm)", ylabel=f"{names[1]} (mm)", title=title)
    ax.set_aspect("equal")
    return ax


def _project(points):
    """Azimuthal equidistant projection from the vertex (+z): polar angle → radius."""
    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    theta = np.degrees(np.arccos(np.clip(unit[:, 2], -1, 1)))
    phi = np.arctan2(unit[:, 1], unit[:, 0])
    return theta * np.cos(phi), theta * np.sin(phi)


def plot_scalp_map(
    electrodes, values, dense=None, ax=None, title="scalp potential", unit="µV", scale=1e6
):
    """Scalp map seen from above (azimuthal equidistant projection, degrees from the vertex).

    Parameters
    ----------
    electrodes : ndarray, shape (M, 3)
        Electrode positions (m), drawn as dots coloured by ``values``.
    values : ndarray, shape (M,)
        Potentials at the electrodes (V).
    dense : tuple (points (K, 3), values (K,)), optional
        A finer sampling of the scalp (e.g. from the exact series) for the background map;
        without it the background interpolates the electrodes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 3.6))
    points, field = (electrodes, values) if dense is None else dense
    x, y = _project(points)
    lo, hi = _symmetric_limits(np.concatenate([field, values]) * scale)
    levels = np.linspace(lo, hi, 21)
    shown = ax.tricontourf(x, y, field * scale, levels=levels, cmap="RdBu_r")
    plt.colorbar(shown, ax=ax, label=unit, shrink=0.85)
    ex, ey = _project(electrodes)
    ax.scatter(ex, ey, c=values * scale, cmap="RdBu_r", vmin=lo, vmax=hi, edgecolors="k", s=28)
    ax.plot(
        90 * np.cos(np.linspace(0, 2 * np.pi, 200)),
        90 * np.sin(np.linspace(0, 2 * np.pi, 200)),
        "k--",
        lw=0.6,
    )
    ax.set(title=title, xlabel="degrees from vertex (x)", ylabel="degrees from vertex (y)")
    ax.set_aspect("equal")
    return ax


def plot_reconstruction(head, grid, truth, prediction, source=None):
    """The paper's Fig. 1: central slice of truth, prediction and error (same colour scale)."""
    fig, axes = plt.subplots(1, 3, figsize=(12.5, 3.6))
    plot_slice(head, grid, truth, ax=axes[0], title="truth", source=source)
    shared = axes[0].images[0].get_clim()
    plot_slice(head, grid, prediction, ax=axes[1], title="ED-PINN", source=source)
    axes[1].images[0].set_clim(*shared)
    plot_slice(head, grid, prediction - truth, ax=axes[2], title="prediction − truth")
    fig.tight_layout()
    return fig


def plot_data_fit(measured, predicted, unit="µV", scale=1e6):
    """The paper's Fig. 2: predicted against measured electrode potentials, with y = x."""
    fig, ax = plt.subplots(figsize=(3.8, 3.6))
    m, p = np.asarray(measured) * scale, np.asarray(predicted) * scale
    lo, hi = min(m.min(), p.min()), max(m.max(), p.max())
    ax.plot([lo, hi], [lo, hi], "k--", lw=0.8, label="y = x")
    ax.scatter(m, p, s=22, c="C0", edgecolors="k", lw=0.4, label="electrodes")
    ax.set(xlabel=f"measured ({unit})", ylabel=f"predicted ({unit})", title="data fit")
    ax.legend(loc="upper left")
    ax.set_aspect("equal")
    return fig


def plot_source_estimate(head, points, current, true_position=None, estimate=None):
    """The paper's Fig. 3: I_est = −∇·(σ∇φ̂) on the z = 0 plane, true source marked.

    ``points`` (N, 3) must lie on a regular square grid of the z = 0 plane (m); ``current``
    is I_est there (A/m³).
    """
    fig, ax = plt.subplots(figsize=(4.2, 3.6))
    side = int(round(np.sqrt(len(points))))
    image = np.asarray(current).reshape(side, side)
    extent = np.array([points[:, 0].min(), points[:, 0].max()] * 2) * 1e3
    vmax = float(np.nanmax(np.abs(image)))
    shown = ax.imshow(image.T, origin="lower", extent=extent, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
    plt.colorbar(shown, ax=ax, label="A/m³", shrink=0.85)
    angle = np.linspace(0, 2 * np.pi, 200)
    for radius in head.radii:
        ax.plot(radius * 1e3 * np.cos(angle), radius * 1e3 * np.sin(angle), "k-", lw=0.6)
    if true_position is not None:
        ax.plot(*np.asarray(true_position)[:2] * 1e3, "kx", ms=9, mew=2, label="true source")
    if estimate is not None:
        ax.plot(
            *np.asarray(estimate)[:2] * 1e3,
            "o",
            mfc="none",
            mec="lime",
            ms=10,
            mew=2,
            label="estimate",
        )
    ax.legend(loc="lower left", fontsize=7)
    ax.set(xlabel="x (mm)", ylabel="y (mm)", title="estimated source I_est, z = 0")
    ax.set_aspect("equal")
    return fig
