"""Triangle meshes of a disk with boundary electrodes whose ends lie on mesh nodes.

The paper's setup (Sec. II) is a 16-electrode system on the unit disk. The complete electrode
model integrates over each electrode's arc, so the arc must be a union of boundary edges: the
electrode ends are placed on mesh nodes exactly, and the rest of the boundary is subdivided to
the target edge length.
"""

from dataclasses import dataclass

import numpy as np
from scipy.spatial import Delaunay

from ..validation import as_array, check_int, check_positive


@dataclass(frozen=True)
class EITMesh:
    """A 2-D triangle mesh with electrodes on its boundary.

    Attributes
    ----------
    nodes : ndarray, shape (N, 2)
        Node coordinates (m).
    triangles : ndarray, shape (M, 3)
        Node indices of each triangle, counter-clockwise.
    electrodes : tuple of ndarray, each shape (k, 2)
        For each electrode, the boundary edges (node index pairs) it covers.
    radius : float
        Radius of the disk (m), used for images and phantoms.
    """

    nodes: np.ndarray
    triangles: np.ndarray
    electrodes: tuple
    radius: float

    @property
    def n_electrodes(self):
        """Number of electrodes L."""
        return len(self.electrodes)

    @property
    def centroids(self):
        """Triangle centroids, shape (M, 2) (m)."""
        return self.nodes[self.triangles].mean(axis=1)

    @property
    def areas(self):
        """Triangle areas, shape (M,) (m^2)."""
        p = self.nodes[self.triangles]
        d1, d2 = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
        return 0.5 * (d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0])

    def electrode_lengths(self):
        """Length of each electrode, shape (L,) (m)."""
        return np.array([_edge_lengths(self.nodes, e).sum() for e in self.electrodes])


def _edge_lengths(nodes, edges):
    return np.linalg.norm(nodes[edges[:, 1]] - nodes[edges[:, 0]], axis=1)


def make_mesh(nodes, triangles, electrodes, radius):
    """Validate user mesh arrays and build an :class:`EITMesh`.

    Parameters
    ----------
    nodes : array_like, shape (N, 2)
        Node coordinates (m).
    triangles : array_like, shape (M, 3)
        0-based node indices; triangles are re-oriented counter-clockwise if needed (the
        orientation carries no information, only the sign of the area).
    electrodes : sequence of array_like, each shape (k, 2)
        0-based node index pairs of the boundary edges under each electrode.
    radius : float
        Radius of the domain (m).
    """
    nodes = as_array(nodes, "nodes", shape=(None, 2))
    triangles = as_array(triangles, "triangles", shape=(None, 3), dtype=np.int64)
    radius = float(check_positive(radius, "radius"))
    if triangles.min() < 0 or triangles.max() >= len(nodes):
        raise ValueError(f"triangles must index nodes 0..{len(nodes) - 1} (0-based)")
    p = nodes[triangles]
    d1, d2 = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
    area = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
    if np.any(area == 0):
        raise ValueError(f"{np.count_nonzero(area == 0)} triangle(s) have zero area")
    triangles = np.where((area < 0)[:, None], triangles[:, [0, 2, 1]], triangles)
    boundary = _boundary_edges(triangles)
    edges = []
    for index, edge in enumerate(electrodes):
        edge = as_array(edge, f"electrodes[{index}]", shape=(None, 2), dtype=np.int64)
        if len(edge) == 0:
            raise ValueError(f"electrode {index} covers no boundary edge")
        keys = {tuple(sorted(e)) for e in edge.tolist()}
        if not keys <= boundary:
            raise ValueError(f"electrode {index} has edges that are not on the mesh boundary")
        edges.append(edge)
    used = [tuple(sorted(e)) for edge in edges for e in edge.tolist()]
    if len(used) != len(set(used)):
        raise ValueError("electrodes overlap: a boundary edge belongs to two electrodes")
    return EITMesh(nodes, triangles, tuple(edges), radius)


def _boundary_edges(triangles):
    edges = np.sort(triangles[:, [[0, 1], [1, 2], [2, 0]]].reshape(-1, 2), axis=1)
    unique, counts = np.unique(edges, axis=0, return_counts=True)
    return {tuple(e) for e in unique[counts == 1].tolist()}


def electrode_angles(n_electrodes=16, first_angle=0.0):
    """Centre angles (rad) of ``n_electrodes`` equally spaced electrodes, counter-clockwise."""
    n_electrodes = check_int(n_electrodes, "n_electrodes", minimum=2)
    return first_angle + 2 * np.pi * np.arange(n_electrodes) / n_electrodes


def disk_mesh(n_electrodes=16, electrode_width=None, radius=1.0, h=None, angles=None):
    """Mesh a disk with electrodes whose ends are mesh nodes.

    Parameters
    ----------
    n_electrodes : int
        Number of electrodes L (default 16, the paper's system).
    electrode_width : float, optional
        Arc length of every electrode (m). Default: half the electrode pitch, π R / L.
    radius : float
        Disk radius R (m), default 1 (the paper's unit disk).
    h : float, optional
        Target edge length (m). Default 0.06 R (about 2,000 triangles).
    angles : array_like, optional
        Electrode centre angles (rad); default equally spaced from 0.

    Returns
    -------
    EITMesh

    Raises
    ------
    ValueError
        If electrodes overlap or do not fit on the boundary.
    """
    n_electrodes = check_int(n_electrodes, "n_electrodes", minimum=2)
    radius = float(check_positive(radius, "radius"))
    h = 0.06 * radius if h is None else float(check_positive(h, "h"))
    if h > radius / 2:
        raise ValueError(f"h must be at most radius/2 = {radius / 2} m to mesh the disk, got {h}")
    width = np.pi * radius / n_electrodes if electrode_width is None else electrode_width
    width = float(check_positive(width, "electrode_width"))
    if angles is None:
        angles = electrode_angles(n_electrodes)
    angles = as_array(angles, "angles", shape=(n_electrodes,)) % (2 * np.pi)
    half = width / (2 * radius)
    if n_electrodes * width >= 2 * np.pi * radius:
        raise ValueError(
            f"{n_electrodes} electrodes of width {width} m do not fit on a boundary of length "
            f"{2 * np.pi * radius:.4g} m; use narrower or fewer electrodes"
        )
    order = np.argsort(angles)
    gaps = np.diff(np.append(angles[order], angles[order[0]] + 2 * np.pi)) - 2 * half
    if np.any(gaps <= 0):
        raise ValueError(
            f"electrodes overlap: width {width} m exceeds the spacing between electrode centres"
        )
    breaks = np.sort(np.concatenate([angles - half, angles + half]) % (2 * np.pi))
    theta = _subdivide_circle(breaks, h / radius)
    boundary = radius * np.column_stack([np.cos(theta), np.sin(theta)])
    interior = _interior_rings(radius, h)
    nodes = np.vstack([boundary, interior])
    triangles = Delaunay(nodes).simplices
    electrodes = [_arc_edges(theta, a - half, a + half) for a in angles]
    return make_mesh(nodes, triangles, electrodes, radius)


def _subdivide_circle(breaks, dtheta):
    """Angles of boundary nodes: every break point, and gaps split into steps <= dtheta."""
    closed = np.append(breaks, breaks[0] + 2 * np.pi)
    theta = []
    for a, b in zip(closed[:-1], closed[1:], strict=True):
        n = max(1, int(np.ceil((b - a) / dtheta)))
        theta.append(a + (b - a) * np.arange(n) / n)
    return np.concatenate(theta) % (2 * np.pi)


def _interior_rings(radius, h):
    """Concentric rings of nodes about h apart, each rotated to avoid aligned spokes."""
    points = [np.zeros((1, 2))]
    n_rings = max(1, int(round(radius / h)) - 1)
    for j in range(1, n_rings + 1):
        r = radius * j / (n_rings + 1)
        n = max(6, int(round(2 * np.pi * r / h)))
        phi = 2 * np.pi * (np.arange(n) + 0.5 * (j % 2)) / n
        points.append(r * np.column_stack([np.cos(phi), np.sin(phi)]))
    return np.vstack(points)


def _arc_edges(theta, start, stop):
    """Boundary edges (consecutive boundary nodes) between two angles on the circle."""
    start, stop = start % (2 * np.pi), stop % (2 * np.pi)
    i = int(np.argmin(np.abs(np.angle(np.exp(1j * (theta - start))))))
    j = int(np.argmin(np.abs(np.angle(np.exp(1j * (theta - stop))))))
    n = len(theta)
    count = (j - i) % n
    idx = (i + np.arange(count + 1)) % n
    return np.column_stack([idx[:-1], idx[1:]])
