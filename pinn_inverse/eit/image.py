"""Pixel images of mesh fields: the internal potential U as a G × G image with a disk mask.

The CNN stage of the paper maps boundary voltages to the internal potential "image" (Fig. 3).
Pixels are the centres of a G × G grid on [−R, R]²; row 0 is the top (y = +R), the usual image
orientation (and the KTC2023 one). A pixel belongs to the mask when its centre lies inside the
meshed disk; outside the mask images hold 0.
"""

import numpy as np
import scipy.sparse as sp
from matplotlib.tri import Triangulation

from ..validation import as_array, check_int
from .mesh import EITMesh


class ImageGrid:
    """Sampling of P1 (nodal) and P0 (element) fields on a G × G pixel grid.

    Parameters
    ----------
    mesh : EITMesh
        The mesh the fields live on.
    size : int
        Pixels per side G (the paper: 64).
    """

    def __init__(self, mesh: EITMesh, size=64):
        self.mesh = mesh
        self.size = check_int(size, "size", minimum=2)
        R = mesh.radius
        centres = R * (2 * (np.arange(self.size) + 0.5) / self.size - 1)
        x, y = np.meshgrid(centres, centres[::-1])
        self.points = np.column_stack([x.ravel(), y.ravel()])
        finder = Triangulation(*mesh.nodes.T, mesh.triangles).get_trifinder()
        element = finder(*self.points.T)
        #: boolean (G, G): pixel centre inside the meshed disk
        self.mask = (element >= 0).reshape(self.size, self.size)
        inside = np.flatnonzero(element >= 0)
        self.element = element[inside]
        self._inside = inside
        tri = mesh.triangles[self.element]
        self._interp = sp.csr_matrix(
            (
                _barycentric(mesh.nodes[tri], self.points[inside]).ravel(),
                (np.repeat(inside, 3), tri.ravel()),
            ),
            shape=(self.size**2, len(mesh.nodes)),
        )

    def nodal(self, u):
        """Image of a nodal (P1) field, u (N,) or (N, P) -> (G, G) or (P, G, G)."""
        u = as_array(u, "u")
        if u.shape[0] != len(self.mesh.nodes):
            raise ValueError(
                f"u must have {len(self.mesh.nodes)} rows (one per node), got {u.shape}"
            )
        image = self._interp @ u
        return self._shape(image)

    def elementwise(self, values):
        """Image of an element (P0) field such as σ, (M,) or (M, P) -> (G, G) or (P, G, G)."""
        values = as_array(values, "values")
        if values.shape[0] != len(self.mesh.triangles):
            raise ValueError(
                f"values must have {len(self.mesh.triangles)} rows (one per element), "
                f"got {values.shape}"
            )
        image = np.zeros((self.size**2, *values.shape[1:]))
        image[self._inside] = values[self.element]
        return self._shape(image)

    def _shape(self, image):
        G = self.size
        if image.ndim == 1:
            return image.reshape(G, G)
        return np.moveaxis(image, 1, 0).reshape(-1, G, G)


def _barycentric(corners, points):
    """Barycentric coordinates of points in their triangles: corners (n, 3, 2) -> (n, 3)."""
    d1 = corners[:, 1] - corners[:, 0]
    d2 = corners[:, 2] - corners[:, 0]
    rel = points - corners[:, 0]
    det = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
    b1 = (rel[:, 0] * d2[:, 1] - rel[:, 1] * d2[:, 0]) / det
    b2 = (d1[:, 0] * rel[:, 1] - d1[:, 1] * rel[:, 0]) / det
    return np.column_stack([1 - b1 - b2, b1, b2])
