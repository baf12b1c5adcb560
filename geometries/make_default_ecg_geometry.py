"""Make the default ECG geometry: a heart-like surface inside a torso-like surface.

Both surfaces are star-shaped maps of a Fibonacci point set on the unit sphere, triangulated
by its convex hull (a Delaunay triangulation of the sphere, so the triangles are well shaped
and the mesh is closed with ``2 n - 4`` triangles). The heart has the paper's 1094 nodes and
2184 triangles; the torso the paper's 352 nodes. Run from the repository root:

    .venv/bin/python geometries/make_default_ecg_geometry.py

It writes ``ecg_heart.pts/.fac`` and ``ecg_torso.pts/.fac`` (mm, 1-based triangles) beside
itself. The output is deterministic.
"""

from pathlib import Path

import numpy as np
from scipy.spatial import ConvexHull

HERE = Path(__file__).resolve().parent


def fibonacci_sphere(n):
    """``n`` nearly uniform unit vectors (golden-angle spiral)."""
    k = np.arange(n) + 0.5
    z = 1.0 - 2.0 * k / n
    phi = np.pi * (1.0 + 5**0.5) * k
    rho = np.sqrt(1.0 - z**2)
    return np.column_stack([rho * np.cos(phi), rho * np.sin(phi), z])


def sphere_faces(directions):
    """Outward-oriented triangles of the convex hull of unit vectors."""
    faces = ConvexHull(directions).simplices
    centre = directions[faces].mean(axis=1)
    normal = np.cross(
        directions[faces[:, 1]] - directions[faces[:, 0]],
        directions[faces[:, 2]] - directions[faces[:, 0]],
    )
    flip = np.einsum("ij,ij->i", normal, centre) < 0
    faces[flip] = faces[flip][:, ::-1]
    return faces


def heart_shape(d):
    """A tapered ellipsoid (mm): base up, apex down, then tilted and shifted into the chest."""
    x, y, z = d.T
    taper = 0.72 + 0.28 * (1.0 + z) / 2.0
    p = np.column_stack([42.0 * taper * x, 36.0 * taper * y, 58.0 * z])
    # long axis tilted 40 degrees toward the left and 20 degrees toward the front
    a, b = np.radians(40.0), np.radians(20.0)
    rot_y = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    rot_x = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    return p @ (rot_x @ rot_y).T + np.array([25.0, 15.0, 40.0])


def torso_shape(d, half_axes=(170.0, 110.0, 300.0), exponents=(2.5, 2.5, 6.0)):
    """A superellipsoid (mm): elliptic chest section with flattened top and bottom.

    Each unit direction is scaled to the point where ``Σ |x_k / a_k|^p_k = 1`` (bisection; the
    left side grows monotonically along a ray).
    """
    lo, hi = np.zeros(len(d)), np.full(len(d), 2.0 * max(half_axes))
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        level = sum(np.abs(mid * d[:, k] / half_axes[k]) ** exponents[k] for k in range(3))
        lo, hi = np.where(level < 1, mid, lo), np.where(level < 1, hi, mid)
    return d * lo[:, None]


def write(name, vertices, faces):
    np.savetxt(HERE / f"{name}.pts", vertices, fmt="%.6f")
    np.savetxt(HERE / f"{name}.fac", faces + 1, fmt="%d")


def main():
    heart_dirs = fibonacci_sphere(1094)
    write("ecg_heart", heart_shape(heart_dirs), sphere_faces(heart_dirs))
    torso_dirs = fibonacci_sphere(352)
    write("ecg_torso", torso_shape(torso_dirs), sphere_faces(torso_dirs))


if __name__ == "__main__":
    main()
