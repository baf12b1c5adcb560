"""Random conductivity phantoms of the paper (Sec. III-B): one circle, two circles, or a circle
and a triangle in a unit background; inclusions uniform in [2, 6] S/m, non-overlapping, inside
the disk, positions random and seeded.
"""

from dataclasses import dataclass, field

import numpy as np

from ..validation import as_points, check_choice, check_positive

KINDS = ("circle", "two_circles", "circle_triangle")


@dataclass(frozen=True)
class Circle:
    """A disk inclusion: centre (m), radius (m), conductivity (S/m)."""

    centre: tuple
    radius: float
    sigma: float

    def contains(self, points):
        return np.linalg.norm(points - np.asarray(self.centre), axis=1) <= self.radius

    @property
    def bounding_radius(self):
        return self.radius


@dataclass(frozen=True)
class Triangle:
    """An equilateral triangle inclusion: centre (m), circumradius (m), rotation (rad), σ (S/m)."""

    centre: tuple
    radius: float
    rotation: float
    sigma: float

    @property
    def vertices(self):
        angle = self.rotation + 2 * np.pi * np.arange(3) / 3
        return np.asarray(self.centre) + self.radius * np.column_stack(
            [np.cos(angle), np.sin(angle)]
        )

    def contains(self, points):
        v = self.vertices
        inside = np.ones(len(points), dtype=bool)
        for a, b in ((v[0], v[1]), (v[1], v[2]), (v[2], v[0])):
            edge, rel = b - a, points - a
            inside &= edge[0] * rel[:, 1] - edge[1] * rel[:, 0] >= 0
        return inside

    @property
    def bounding_radius(self):
        return self.radius


@dataclass(frozen=True)
class Phantom:
    """Inclusions in a homogeneous background of conductivity ``background`` (S/m)."""

    inclusions: tuple = field(default_factory=tuple)
    background: float = 1.0

    def sigma(self, points):
        """Conductivity at points (n, 2) (m) -> (n,) (S/m); later inclusions win ties."""
        points = as_points(points, "points", dim=2)
        values = np.full(len(points), self.background)
        for inclusion in self.inclusions:
            values[inclusion.contains(points)] = inclusion.sigma
        return values


def random_phantom(
    kind, rng, radius=1.0, sigma_range=(2.0, 6.0), size_range=(0.1, 0.3), margin=0.05
):
    """Draw a random phantom of the paper's kind.

    Parameters
    ----------
    kind : {"circle", "two_circles", "circle_triangle"}
        Configuration (paper Sec. III-B).
    rng : numpy.random.Generator
        Source of randomness (seeded by the caller).
    radius : float
        Disk radius R (m).
    sigma_range : (float, float)
        Inclusion conductivities are uniform in this range (S/m); the paper: [2, 6].
    size_range : (float, float)
        Inclusion (circum)radius range as a fraction of R. The paper does not state one.
    margin : float
        Minimum gap between inclusions and to the boundary, as a fraction of R.

    Returns
    -------
    Phantom
        Background 1 S/m with non-overlapping inclusions inside the disk.
    """
    check_choice(kind, "phantom kind", KINDS)
    radius = float(check_positive(radius, "radius"))
    shapes = {
        "circle": ["circle"],
        "two_circles": ["circle", "circle"],
        "circle_triangle": ["circle", "triangle"],
    }[kind]
    placed, attempts = [], 0
    while len(placed) < len(shapes):
        shape = shapes[len(placed)]
        size = radius * rng.uniform(*size_range)
        reach = radius * (1 - margin) - size
        r = reach * np.sqrt(rng.uniform())  # uniform over the admissible disk of centres
        angle = rng.uniform(0, 2 * np.pi)
        centre = (r * np.cos(angle), r * np.sin(angle))
        sigma = rng.uniform(*sigma_range)
        if shape == "circle":
            candidate = Circle(centre, size, sigma)
        else:
            candidate = Triangle(centre, size, rng.uniform(0, 2 * np.pi), sigma)
        # Bounding circles a margin apart keep the inclusions disjoint; redraw otherwise,
        # and start over if an early inclusion leaves no room.
        gaps = [np.hypot(*np.subtract(centre, p.centre)) - size - p.bounding_radius for p in placed]
        if all(g > margin * radius for g in gaps):
            placed.append(candidate)
        attempts += 1
        if attempts % 100 == 0:
            placed = []
    return Phantom(tuple(placed))
