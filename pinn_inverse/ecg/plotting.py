"""Figures of the EAND-ARN paper: heart maps, activation-time maps, a node's time course,
the L-curve and loss curves.

Every function returns a matplotlib Figure (save it with :func:`pinn_inverse.io.save_figure`).
Heart-surface figures show each map from the views of :func:`heart_views` (basal and
anterior, found from the geometry) on one colour scale shared by all maps.
"""

import matplotlib.pyplot as plt
import numpy as np
from mpl_toolkits.mplot3d.art3d import Poly3DCollection

from ..validation import as_array, check_increasing
from .geometry import Geometry

# faces of nodes that never activate, in activation-time maps
NEVER = "0.6"


def _angles(direction):
    """Matplotlib's (elevation, azimuth) in degrees of a camera looking from ``direction``."""
    x, y, z = direction / np.linalg.norm(direction)
    return float(np.degrees(np.arcsin(np.clip(z, -1, 1)))), float(np.degrees(np.arctan2(y, x)))


def heart_views(geometry):
    """Camera angles of a basal and an anterior view of the heart, from the geometry.

    The long axis runs from the apex (the lowest heart node, where
    :func:`~pinn_inverse.ecg.benchmark_data` paces) through the heart's centroid; the basal
    view looks down it from the base. The front is the torso's thinnest principal direction
    (the chest's depth), signed toward the heart (which lies in the front of the chest) and
    made orthogonal to the long axis; the anterior view looks at the heart from there.

    Parameters
    ----------
    geometry : Geometry

    Returns
    -------
    dict
        ``{"basal": (elevation, azimuth), "anterior": (elevation, azimuth)}`` in degrees, as
        :meth:`mpl_toolkits.mplot3d.axes3d.Axes3D.view_init` takes them.
    """
    if not isinstance(geometry, Geometry):
        raise TypeError(f"geometry must be a Geometry, got {type(geometry).__name__}")
    heart, torso = geometry.heart.vertices, geometry.torso.vertices
    centre = heart.mean(axis=0)
    axis = centre - heart[np.argmin(heart[:, 2])]
    axis /= np.linalg.norm(axis)
    spread = np.cov((torso - torso.mean(axis=0)).T)
    depth = np.linalg.eigh(spread)[1][:, 0]  # eigenvalues ascending: the thinnest first
    if np.dot(centre - torso.mean(axis=0), depth) < 0:
        depth = -depth
    front = depth - np.dot(depth, axis) * axis
    return {"basal": _angles(axis), "anterior": _angles(front)}


def _draw_surface(ax, surface, values, norm, cmap, view):
    triangles = surface.vertices[surface.faces]
    # a face with a NaN corner gets the colour map's "bad" colour
    colours = cmap(norm(values[surface.faces].mean(axis=1)))
    ax.add_collection3d(Poly3DCollection(triangles, facecolors=colours, linewidths=0))
    lo, hi = surface.vertices.min(axis=0), surface.vertices.max(axis=0)
    centre, half = (lo + hi) / 2, (hi - lo).max() / 2
    for setter, c in zip((ax.set_xlim, ax.set_ylim, ax.set_zlim), centre, strict=True):
        setter(c - half, c + half)
    ax.view_init(*view)
    ax.set_axis_off()


def _surface_grid(geometry, maps, norm, cmap, titles, label, suptitle):
    """One row per map and one column per view of :func:`heart_views`, one colour bar."""
    views = heart_views(geometry)
    fig = plt.figure(figsize=(3.2 * len(views), 3.0 * len(maps)))
    for row, (name, values) in enumerate(maps.items()):
        for col, (view_name, view) in enumerate(views.items()):
            ax = fig.add_subplot(len(maps), len(views), row * len(views) + col + 1, projection="3d")
            _draw_surface(ax, geometry.heart, values, norm, cmap, view)
            ax.set_title(f"{titles[name]} ({view_name})", fontsize=9)
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=fig.axes, shrink=0.5, label=label)
    fig.suptitle(suptitle)
    return fig


def _nodal(maps, n_nodes, finite=True):
    return {
        name: as_array(values, f"map {name!r}", shape=(n_nodes,), finite=finite)
        for name, values in maps.items()
    }


def heart_maps(geometry, maps, frame_label="", cmap="jet"):
    """Heart-surface potential maps, one row per map, basal and anterior views.

    Every map shares one colour scale: the 1st to 99th percentile of all maps' values.

    Parameters
    ----------
    geometry : Geometry
        Heart and torso (m); the torso orients the views (:func:`heart_views`).
    maps : dict of str to ndarray, shape (n_nodes,)
        Title -> nodal potentials at one frame (e.g. truth and reconstructions; normalised).
    frame_label : str
        Shown in the figure title.
    cmap : str
    """
    maps = _nodal(maps, geometry.heart.n_nodes)
    norm = plt.Normalize(*np.percentile(np.concatenate(list(maps.values())), [1, 99]))
    titles = {name: name for name in maps}
    return _surface_grid(
        geometry,
        maps,
        norm,
        plt.get_cmap(cmap),
        titles,
        "u",
        f"heart-surface potential {frame_label}",
    )


def front_frame(u, threshold=0.5):
    """The frame at which half of the heart's nodes are above ``threshold``: the one whose
    maps show the activation front best. ``u`` is (n_nodes, n_frames)."""
    u = as_array(u, "u", ndim=2)
    return int(np.argmin(np.abs((u > threshold).mean(axis=0) - 0.5)))


def activation_times(u, t, threshold=0.5):
    """Activation time of each node: when u first crosses ``threshold`` upward.

    The time is interpolated linearly between the last frame below the threshold and the
    first at or above it. A node at or above it in the first frame gets ``t[0]`` (it was
    activated then or earlier); a node that never reaches it gets NaN.

    Parameters
    ----------
    u : array_like, shape (n_nodes, n_frames)
        Normalised potentials (the truth or a reconstruction).
    t : array_like, shape (n_frames,)
        Increasing frame times (model time units).
    threshold : float
        The activation level (0.5: half way between rest, 0, and the plateau, 1).

    Returns
    -------
    ndarray, shape (n_nodes,)
        Activation times (model time units), NaN where u never reaches the threshold.
    """
    t = check_increasing(t, "t")
    u = as_array(u, "u", shape=(None, len(t)))
    above = u >= threshold
    first = np.argmax(above, axis=1)  # the first frame at or above; 0 also where none is
    rows = np.arange(len(u))
    before = np.maximum(first - 1, 0)
    lo, hi = u[rows, before], u[rows, first]
    # lo < threshold <= hi where first > 0; the other rows divide by 1 and are not used
    fraction = np.where(first > 0, (threshold - lo) / np.where(first > 0, hi - lo, 1.0), 0.0)
    times = t[before] + fraction * (t[first] - t[before])
    return np.where(above.any(axis=1), times, np.nan)


def activation_maps(geometry, times, cmap="viridis"):
    """Activation-time maps (see :func:`activation_times`), one row per map, basal and
    anterior views, on one colour scale (the range of all finite times).

    Triangles with a node that never activates are grey, and each title counts those nodes.

    Parameters
    ----------
    geometry : Geometry
        Heart and torso (m).
    times : dict of str to ndarray, shape (n_nodes,)
        Title -> activation time per node (model time units; NaN: never activates).
    cmap : str
    """
    times = _nodal(times, geometry.heart.n_nodes, finite=False)
    finite = np.concatenate([values[np.isfinite(values)] for values in times.values()])
    if finite.size == 0:
        raise ValueError("no node activates in any of the maps: there is nothing to show")
    titles = {}
    for name, values in times.items():
        never = int(np.count_nonzero(np.isnan(values)))
        titles[name] = f"{name}, {never} never active" if never else name
    colours = plt.get_cmap(cmap).with_extremes(bad=NEVER)
    norm = plt.Normalize(finite.min(), finite.max())
    return _surface_grid(
        geometry,
        times,
        norm,
        colours,
        titles,
        "activation time (model units)",
        "activation time (u first above 0.5; grey: never)",
    )


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
