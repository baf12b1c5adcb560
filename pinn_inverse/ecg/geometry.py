"""Heart and torso surfaces: readers, checks and the default geometry.

A surface is a :class:`Surface` of vertices (m) and 0-based triangles. Every reader returns a
checked one: closed, consistently oriented with outward normals, no degenerate triangles
(and a :class:`MeshQualityWarning` on needle-shaped ones). :func:`check_nested` checks that
the heart lies strictly inside the torso; :func:`subdivide` refines a surface without moving
it.
"""

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse

from ..validation import as_array, as_points, check_int, check_positive

GEOMETRY_DIR = Path(__file__).resolve().parents[2] / "geometries"
# triangles with a larger angle (degrees) are needles: check_surface warns about them
MAX_ANGLE = 150.0


class MeshQualityWarning(UserWarning):
    """A surface is valid but has badly shaped triangles that cost accuracy."""


@dataclass(frozen=True)
class Surface:
    """A closed triangulated surface.

    Attributes
    ----------
    vertices : ndarray, shape (n, 3)
        Node positions (m).
    faces : ndarray of int, shape (m, 3)
        Triangles as 0-based node indices, counter-clockwise seen from outside.
    """

    vertices: np.ndarray
    faces: np.ndarray

    @property
    def n_nodes(self):
        """Number of nodes."""
        return len(self.vertices)


@dataclass(frozen=True)
class Geometry:
    """A heart surface strictly inside a torso surface (the body-heart conductor)."""

    heart: Surface
    torso: Surface


def triangle_areas(vertices, faces):
    """Area of each triangle (m²)."""
    e1 = vertices[faces[:, 1]] - vertices[faces[:, 0]]
    e2 = vertices[faces[:, 2]] - vertices[faces[:, 0]]
    return 0.5 * np.linalg.norm(np.cross(e1, e2), axis=1)


def triangle_angles(vertices, faces):
    """Interior angle of each triangle at each of its corners (degrees), shape ``(m, 3)``."""
    corners = vertices[faces]
    out = np.empty(faces.shape)
    for k in range(3):
        a = corners[:, (k + 1) % 3] - corners[:, k]
        b = corners[:, (k + 2) % 3] - corners[:, k]
        # atan2 of |a × b| and a · b stays accurate for angles near 0° and 180°
        cross = np.linalg.norm(np.cross(a, b), axis=1)
        out[:, k] = np.degrees(np.arctan2(cross, np.einsum("ij,ij->i", a, b)))
    return out


def solid_angles(points, vertices, faces):
    """Signed solid angle of each triangle seen from each point (van Oosterom & Strackee 1983).

    Positive when the triangle's counter-clockwise normal points away from the point.

    Returns
    -------
    ndarray, shape (n_points, n_faces)
        Solid angles (sr); a point on a triangle's plane gets 0.
    """
    r1, r2, r3 = (vertices[faces[:, k]][None, :, :] - points[:, None, :] for k in range(3))
    l1, l2, l3 = (np.linalg.norm(r, axis=2) for r in (r1, r2, r3))
    triple = np.einsum("ptk,ptk->pt", r1, np.cross(r2, r3))
    denom = (
        l1 * l2 * l3
        + np.einsum("ptk,ptk->pt", r1, r2) * l3
        + np.einsum("ptk,ptk->pt", r1, r3) * l2
        + np.einsum("ptk,ptk->pt", r2, r3) * l1
    )
    return 2.0 * np.arctan2(triple, denom)


def winding_numbers(points, surface, chunk=256):
    """How many times ``surface`` winds around each point: 1 inside, 0 outside."""
    points = as_points(points, "points")
    out = np.empty(len(points))
    for start in range(0, len(points), chunk):
        block = points[start : start + chunk]
        out[start : start + chunk] = solid_angles(block, surface.vertices, surface.faces).sum(1)
    return out / (4.0 * np.pi)


def check_surface(vertices, faces, name="surface"):
    """Return a checked :class:`Surface`; raise ``ValueError`` saying what is wrong.

    Checks: indices in range, no degenerate triangles, closed (every edge shared by exactly two
    triangles), consistently oriented (every edge traversed once in each direction) and
    outward (positive enclosed volume). Triangles with an angle over ``MAX_ANGLE`` (150°) are
    accepted with a :class:`MeshQualityWarning`: they are valid, but integrals on them are
    hard and the potentials they carry are poorly resolved.
    """
    vertices = as_points(vertices, f"{name} vertices")
    faces = as_array(faces, f"{name} faces", shape=(None, 3), dtype=np.int64)
    n = len(vertices)
    if len(faces) < 4:
        raise ValueError(f"{name} has {len(faces)} triangles; a closed surface needs >= 4")
    if faces.min() < 0 or faces.max() >= n:
        raise ValueError(
            f"{name} faces index nodes {faces.min()}..{faces.max()} but there are {n} vertices "
            "(0-based indices expected)"
        )
    scale = np.ptp(vertices, axis=0).max()
    areas = triangle_areas(vertices, faces)
    bad = np.flatnonzero(areas <= 1e-12 * scale**2)
    if bad.size:
        raise ValueError(f"{name} has {bad.size} degenerate (zero-area) triangles, e.g. {bad[:5]}")
    _warn_needles(vertices, faces, name)
    directed = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    undirected, counts = np.unique(np.sort(directed, axis=1), axis=0, return_counts=True)
    if np.any(counts != 2):
        raise ValueError(
            f"{name} is not closed: {np.count_nonzero(counts == 1)} boundary edges and "
            f"{np.count_nonzero(counts > 2)} edges shared by more than two triangles; "
            "close the surface (e.g. cap its holes) before using it"
        )
    if len(np.unique(directed, axis=0)) != len(directed):
        raise ValueError(
            f"{name} is not consistently oriented: some neighbouring triangles list their shared "
            "edge in the same direction; reorient the triangles (e.g. trimesh.repair.fix_winding)"
        )
    if enclosed_volume(vertices, faces) <= 0:
        raise ValueError(
            f"{name} has inward-pointing normals (negative enclosed volume); reverse the vertex "
            "order of every triangle (faces[:, ::-1])"
        )
    return Surface(vertices, faces)


def _warn_needles(vertices, faces, name):
    largest = triangle_angles(vertices, faces).max(axis=1)
    needles = np.flatnonzero(largest > MAX_ANGLE)
    if needles.size:
        worst = needles[np.argmax(largest[needles])]
        warnings.warn(
            f"{name} has {needles.size} badly shaped triangles with an angle over "
            f"{MAX_ANGLE:g}° (worst: {largest[worst]:.1f}° in triangle {worst}); they are "
            "accepted, but remeshing the surface would make BEM and surface PDEs on it more "
            "accurate",
            MeshQualityWarning,
            stacklevel=3,
        )


def subdivide(surface, levels=1, name="surface"):
    """Split every triangle into four at its edge midpoints, ``levels`` times.

    The surface does not move (the new nodes are edge midpoints, not smoothed), so a solution
    on the same geometry converges under repeated subdivision. The original nodes keep their
    indices; each level appends one node per edge. :func:`refine` also returns the matrix that
    carries nodal values onto the new nodes.

    Parameters
    ----------
    surface : Surface
        A checked surface.
    levels : int
        Number of subdivisions (0 returns the surface itself); each multiplies the triangles
        by 4 and the nodes by about 4.
    name : str
        Name used in warnings and error messages.

    Returns
    -------
    Surface
    """
    return refine(surface, levels, name)[0]


def refine(surface, levels=1, name="surface"):
    """:func:`subdivide`, and the linear interpolation from the old nodes to the new ones.

    Returns
    -------
    fine : Surface
        The subdivided surface.
    P : scipy.sparse.csr_matrix, shape (fine.n_nodes, surface.n_nodes)
        ``P @ f`` is the piecewise-linear field with nodal values ``f`` at the new nodes: the
        identity on the original nodes (they keep their indices), the mean of an edge's two
        ends at its midpoint. Its rows sum to one, and ``P @ surface.vertices`` are
        ``fine.vertices``.
    """
    if not isinstance(surface, Surface):
        raise TypeError(f"surface must be a Surface, got {type(surface).__name__}")
    levels = check_int(levels, "levels", minimum=0)
    vertices, faces = surface.vertices, surface.faces
    P = scipy.sparse.identity(len(vertices), format="csr")
    if levels == 0:
        return surface, P
    for _ in range(levels):
        edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
        unique, inverse = np.unique(np.sort(edges, axis=1), axis=0, return_inverse=True)
        ab, bc, ca = len(vertices) + inverse.reshape(3, -1)
        a, b, c = faces.T
        vertices = np.concatenate([vertices, vertices[unique].mean(axis=1)])
        P = scipy.sparse.vstack([P, 0.5 * (P[unique[:, 0]] + P[unique[:, 1]])], format="csr")
        faces = np.concatenate(
            [np.stack(t, axis=1) for t in ((a, ab, ca), (ab, b, bc), (ca, bc, c), (ab, bc, ca))]
        )
    return check_surface(vertices, faces, name), P


def enclosed_volume(vertices, faces):
    """Signed volume enclosed by a closed surface (m³); positive for outward normals."""
    v0, v1, v2 = (vertices[faces[:, k]] for k in range(3))
    return float(np.einsum("ij,ij->i", v0, np.cross(v1, v2)).sum() / 6.0)


def check_nested(heart, torso):
    """Return a :class:`Geometry` after checking that ``heart`` lies strictly inside ``torso``.

    Every heart node must be inside the torso and every torso node outside the heart (winding
    numbers), which catches a heart that pokes through the torso.
    """
    inside = winding_numbers(heart.vertices, torso)
    outside = np.flatnonzero(inside < 0.5)
    if outside.size:
        raise ValueError(
            f"{outside.size} of {heart.n_nodes} heart nodes lie outside the torso (e.g. nodes "
            f"{outside[:5].tolist()}); the heart must be strictly inside the torso"
        )
    enclosed = np.flatnonzero(winding_numbers(torso.vertices, heart) > 0.5)
    if enclosed.size:
        raise ValueError(
            f"{enclosed.size} torso nodes lie inside the heart; the surfaces intersect"
        )
    return Geometry(heart, torso)


def _faces_base(faces, n, index_base, path):
    if index_base is None:
        if faces.min() == 0:
            index_base = 0
        elif faces.max() == n:
            index_base = 1
        else:
            raise ValueError(
                f"cannot tell whether {path} is 0- or 1-based (indices {faces.min()}.."
                f"{faces.max()} for {n} nodes); pass index_base=0 or 1"
            )
    if index_base not in (0, 1):
        raise ValueError(f"index_base must be 0, 1 or None, got {index_base!r}")
    return faces - index_base


def read_pts_fac(pts_path, fac_path, unit=1e-3, index_base=None, name="surface"):
    """Read a ``.pts`` (x y z per line) and ``.fac`` (three node indices per line) pair.

    Parameters
    ----------
    pts_path, fac_path : path
        The node and triangle files.
    unit : float
        Metres per file length unit (default 1e-3: millimetres).
    index_base : {0, 1, None}
        Index of the first node in ``.fac``; ``None`` detects it (a closed surface uses every
        node, so 0-based files contain 0 and 1-based files contain ``n``).
    name : str
        Name used in error messages.
    """
    unit = float(check_positive(unit, "unit"))
    vertices = np.loadtxt(pts_path, ndmin=2) * unit
    faces = np.loadtxt(fac_path, ndmin=2, dtype=np.int64)
    faces = _faces_base(faces, len(vertices), index_base, fac_path)
    return check_surface(vertices, faces, name)


def read_tri(path, unit=1.0, clockwise=True, name="surface"):
    """Read an ECGSim ``.tri`` file.

    The file holds the node count, ``index x y z`` lines, the triangle count, then
    ``index n1 n2 n3`` lines (1-based).

    Parameters
    ----------
    path : path
        The ``.tri`` file.
    unit : float
        Metres per file length unit (ECGSim files are in m).
    clockwise : bool
        ECGSim lists each triangle's nodes clockwise seen from outside; they are reversed to
        the counter-clockwise (outward) order used here. Pass False for a file that is
        already counter-clockwise.
    name : str
        Name used in error messages.
    """
    unit = float(check_positive(unit, "unit"))
    tokens = Path(path).read_text().split()
    n = int(tokens[0])
    nodes = np.array(tokens[1 : 1 + 4 * n], dtype=float).reshape(n, 4)
    m = int(tokens[1 + 4 * n])
    tris = np.array(tokens[2 + 4 * n : 2 + 4 * n + 4 * m], dtype=np.int64).reshape(m, 4)
    faces = tris[:, 1:] - 1
    return check_surface(nodes[:, 1:] * unit, faces[:, ::-1] if clockwise else faces, name)


def read_surface(path, unit=1.0, name="surface"):
    """Read any mesh format trimesh reads (``.stl``, ``.obj``, ``.ply``, ``.off``, ...).

    Nodes are kept in file order, except for STL, which stores every triangle with its own
    copies of the corner points: there coincident points are merged into shared nodes.
    """
    import trimesh

    unit = float(check_positive(unit, "unit"))
    mesh = trimesh.load(path, force="mesh", process=False)
    if Path(path).suffix.lower() == ".stl":
        mesh.merge_vertices()
    return check_surface(np.asarray(mesh.vertices) * unit, np.asarray(mesh.faces), name)


def load_default_geometry():
    """The heart (1094 nodes) and torso (352 nodes) shipped in ``geometries/``.

    Made by ``geometries/make_default_ecg_geometry.py``; see ``geometries/README.md``.
    """
    heart = read_pts_fac(
        GEOMETRY_DIR / "ecg_heart.pts", GEOMETRY_DIR / "ecg_heart.fac", name="default heart"
    )
    torso = read_pts_fac(
        GEOMETRY_DIR / "ecg_torso.pts", GEOMETRY_DIR / "ecg_torso.fac", name="default torso"
    )
    return check_nested(heart, torso)


def load_ecgsim_geometry(folder, subdivisions=1, torso_subdivisions=None):
    """ECGSim's ventricles (``heart.tri``, 257 nodes) inside its thorax (``thorax.tri``).

    Both surfaces are refined by midpoint subdivision, which keeps their shape. Measured
    (``benchmarks/ecg_bem_fem.py``, 11 smooth heart fields, torso error of the BEM transfer
    matrix against a P2 FEM on the same geometry, median / max over fields): native 3.4 % /
    16 %, split once 0.9 % / 4.1 %, split twice 0.2 % / 0.6 %. Aliev-Panfilov waves
    (``D = 1e-5``) travel at 0.24, 0.75 and 0.89 of the planar speed on the native, once and
    twice split heart: the native heart cannot carry them.

    Parameters
    ----------
    folder : path
        The folder holding ECGSim's ``heart.tri`` and ``thorax.tri`` (m, clockwise triangles).
    subdivisions : int
        Midpoint subdivisions of the heart (:func:`subdivide`): 1 gives 1022 nodes, close to
        the EAND-ARN paper's 1094; 2 gives 4082.
    torso_subdivisions : int, optional
        Midpoint subdivisions of the thorax (300 nodes; 1 gives 1194); default: the same as
        the heart's.

    Returns
    -------
    Geometry
        Checked, with the heart strictly inside the thorax. ECGSim's heart has 16 needle
        triangles (up to 173.8°): reading it gives a :class:`MeshQualityWarning`.
    """
    folder = Path(folder)
    for file in ("heart.tri", "thorax.tri"):
        if not (folder / file).is_file():
            raise ValueError(f"{folder} has no {file}; pass ECGSim's geometry folder")
    if torso_subdivisions is None:
        torso_subdivisions = subdivisions
    heart = subdivide(read_tri(folder / "heart.tri", name="ECGSim heart"), subdivisions, "heart")
    torso = subdivide(
        read_tri(folder / "thorax.tri", name="ECGSim thorax"), torso_subdivisions, "thorax"
    )
    return check_nested(heart, torso)


def cap_holes(vertices, faces, name="surface"):
    """Close an open surface by a fan of triangles over each boundary loop.

    One node is added at the centroid of each boundary loop. Its potential is the mean of the
    loop's nodes, which ``interpolation`` encodes: ``φ_closed = interpolation @ φ_open``. This
    is how an open epicardial sock (e.g. ECGITool's ``utah.mat``) becomes a closed heart
    surface for :func:`~pinn_inverse.ecg.bem.transfer_matrix`; the transfer matrix for the
    open nodes is then ``R_closed @ interpolation``.

    Returns
    -------
    surface : Surface
        The checked closed surface (orientation flipped to outward when needed).
    interpolation : scipy.sparse.csr_matrix, shape (n_closed, n_open)
        Identity on the original nodes, loop averages on the added ones.
    """
    import scipy.sparse as sp

    vertices = as_points(vertices, f"{name} vertices")
    faces = as_array(faces, f"{name} faces", shape=(None, 3), dtype=np.int64)
    directed = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    key = np.sort(directed, axis=1)
    _, inverse, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    boundary = directed[counts[inverse.ravel()] == 1]
    if len(boundary) == 0:
        raise ValueError(f"{name} has no boundary edges; it is already closed")
    following = dict(zip(boundary[:, 0].tolist(), boundary[:, 1].tolist(), strict=True))
    if len(following) != len(boundary):
        raise ValueError(f"{name} has a boundary node shared by two holes; cannot cap it")
    n = len(vertices)
    new_vertices, new_faces, rows, cols, vals = [], [], [], [], []
    while following:
        start = next(iter(following))
        loop = [start]
        while following[loop[-1]] != start:
            loop.append(following.pop(loop[-1]))
        following.pop(loop[-1])
        centre = n + len(new_vertices)
        new_vertices.append(vertices[loop].mean(axis=0))
        # the hole's edges run i -> j in the surface, so the cap runs j -> i
        new_faces += [
            [following_j, i, centre]
            for i, following_j in zip(loop, loop[1:] + loop[:1], strict=True)
        ]
        rows += [centre] * len(loop)
        cols += loop
        vals += [1.0 / len(loop)] * len(loop)
    closed_vertices = np.concatenate([vertices, np.array(new_vertices)])
    closed_faces = np.concatenate([faces, np.array(new_faces)])
    if enclosed_volume(closed_vertices, closed_faces) < 0:
        closed_faces = closed_faces[:, ::-1]
    interpolation = sp.csr_matrix(
        (
            np.concatenate([np.ones(n), vals]),
            (np.concatenate([np.arange(n), rows]), np.concatenate([np.arange(n), cols])),
        ),
        shape=(len(closed_vertices), n),
    )
    return check_surface(closed_vertices, closed_faces, name), interpolation
