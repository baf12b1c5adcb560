"""Figures of the EAND-ARN paper for the baselines: heart maps, a node's time course, L-curve.

Every function returns a matplotlib Figure (save it with :func:`pinn_inverse.io.save_figure`).
"""

import matplotlib.pyplot as plt
import numpy as np
from mpl_toolkits.mplot3d.art3d import Poly3DCollection

VIEWS = {"basal": (35.0, 60.0), "anterior": (0.0, -90.0)}


def _draw_surface(ax, surface, values, norm, cmap, view):
    triangles = surface.vertices[surface.faces]
    colours = plt.get_cmap(cmap)(norm(values[surface.faces].mean(axis=1)))
    ax.add_collection3d(Poly3DCollection(triangles, facecolors=colours, linewidths=0))
    lo, hi = surface.vertices.min(axis=0), surface.vertices.max(axis=0)
    centre, half = (lo + hi) / 2, (hi - lo).max() / 2
    for setter, c in zip((ax.set_xlim, ax.set_ylim, ax.set_zlim), centre, strict=True):
        setter(c - half, c + half)
    ax.view_init(*view)
    ax.set_axis_off()


def heart_maps(surface, maps, frame_label="", views=VIEWS, cmap="jet"):
    """Heart-surface potential maps, one row per map and one column per view.

    Parameters
    ----------
    surface : Surface
        The heart surface (m).
    maps : dict of str to ndarray, shape (n_nodes,)
        Title -> nodal values at one frame (e.g. truth and reconstructions).
    frame_label : str
        Shown in the figure title.
    views : dict of str to (elevation, azimuth)
        Camera angles in degrees.
    """
    norm = plt.Normalize(*np.percentile(np.concatenate(list(maps.values())), [1, 99]))
    fig = plt.figure(figsize=(3.2 * len(views), 3.0 * len(maps)))
    for row, (title, values) in enumerate(maps.items()):
        for col, (view_name, view) in enumerate(views.items()):
            ax = fig.add_subplot(len(maps), len(views), row * len(views) + col + 1, projection="3d")
            _draw_surface(ax, surface, np.asarray(values), norm, cmap, view)
            ax.set_title(f"{title} ({view_name})", fontsize=9)
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=fig.axes, shrink=0.5, label="u")
    fig.suptitle(f"heart-surface potential {frame_label}")
    return fig


def time_course(t, node, truth, estimates):
    """One node's potential over time: the truth and each reconstruction.

    Parameters
    ----------
    t : ndarray, shape (n_frames,)
        Frame times (model units).
    node : int
        Heart node index.
    truth : ndarray, shape (n_nodes, n_frames)
        True potentials.
    estimates : dict of str to ndarray, shape (n_nodes, n_frames)
        Reconstructions by name.
    """
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(t, truth[node], "k", lw=2.5, label="truth")
    for name, u in estimates.items():
        ax.plot(t, u[node], lw=1.2, label=name)
    ax.set_xlabel("t (model time units)")
    ax.set_ylabel("u")
    ax.set_title(f"heart node {node}")
    ax.legend(fontsize=8)
    return fig


def lcurve(reconstruction, title="L-curve"):
    """The L-curve ‖Γu‖ against ‖y − Ru‖ (log-log) with the chosen λ marked, and GCV(λ)."""
    rec = reconstruction
    lam = rec.lam[-1] if isinstance(rec.lam, tuple) else rec.lam
    k = int(np.argmin(np.abs(np.log(rec.lambdas) - np.log(lam))))
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.loglog(rec.residual_norm, rec.solution_norm, ".-", ms=3)
    left.loglog(rec.residual_norm[k], rec.solution_norm[k], "ro", label=f"λ = {lam:.3g}")
    left.set_xlabel("residual norm ‖Y − R U‖")
    left.set_ylabel("seminorm ‖Γ U‖")
    left.set_title(title)
    left.legend()
    right.loglog(rec.lambdas, rec.gcv)
    right.axvline(lam, color="r")
    right.set_xlabel("λ")
    right.set_ylabel("GCV(λ)")
    fig.tight_layout()
    return fig


def loss_curves(history, names, title="loss"):
    """Each loss term against the training step (log scale), as trained (weighted).

    Parameters
    ----------
    history : list of dict
        :attr:`pinn_inverse.training.Trainer.history`: entries with ``step`` and ``loss``
        (one value per term, in the order of ``names``).
    names : sequence of str
        The loss terms' names (e.g. ``data``, ``r_u``, ``r_v``).
    title : str
    """
    fig, ax = plt.subplots(figsize=(6, 3.5))
    steps = [entry["step"] for entry in history]
    for k, name in enumerate(names):
        ax.semilogy(steps, [entry["loss"][k] for entry in history], ".-", label=name)
    ax.set_xlabel("training step")
    ax.set_ylabel("weighted loss term")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
