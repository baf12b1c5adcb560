"""Stage 2 of the CNN-PINN: the σ-network's physics and its composite loss (eq. 2).

The network outputs σ(x, y); the potential U is known, as an image (from the U-Net, or the
truth in the oracle case), so the PDE of eq. (1), −∇·(σ∇U) = 0, is linear in σ:

    r = ∇σ·∇U + σ ΔU,

with ∇σ by automatic differentiation and ∇U, ΔU by finite differences of the image (the
paper's matrix-based method, :mod:`pinn_inverse.operators.grid`), passed to DeepXDE as
auxiliary variables of the pixel collocation points. Everything here is nondimensional: x by
the disk's radius, U by its scale, σ by the background conductivity.

The loss, eq. (2), term by term (each a named term of the trainer, weighted by Table I):

- ``pde``       (α = 0.01):  mean over Ω of r² (or of (r/σ)², see below);
- ``top_m``     (β = 0.01):  mean of the M = 40 largest |r| over Ω;
- ``neumann``   (γ = 1.5):   mean over ∂Ω of |σ ∂U/∂n − g|;
- ``boundary``  (1):         mean over ∂Ω of |σ − σ*|, σ* the known boundary conductivity;
- ``tv``        (τ = 1):     mean over Ω of √((∂σ/∂x)² + (∂σ/∂y)² + ξ), ξ = 10⁻⁴;
- ``hinge``     (ν = 8):     mean over Ω ∪ ∂Ω of max(0, 1 − σ);
- ``weight_decay`` (ζ = 10⁻⁶): Σ w² over the network's weight matrices.

Two terms are ill-defined as printed and implemented by their evident intent:

- the Neumann term reads |σ ∂u/∂n|, i.e. zero flux, but the current pattern g injects
  current through the electrodes; the condition of eq. (1) is σ ∂u/∂n = g, so the term is
  |σ ∂U/∂n − g|, with g the electrode current spread evenly over each electrode's arc
  (I_l / |e_l|, A/m) and zero in the gaps (:func:`boundary_current_density`);
- the TV term reads √(∇_x σ + ∇_y σ + ξ), a root of a sum of signed derivatives (undefined
  where it is negative); the text calls it isotropic total variation (González et al.), so it
  is √(|∇σ|² + ξ), ξ smoothing |∇σ| at zero.

A formulation the paper does not have, and the library's default (:data:`RESIDUALS`):
``"log"`` divides the residual by σ, r/σ = ∇ln σ·∇U + ΔU. For σ > 0 it vanishes where r does,
but r is linear in σ, so a mean of r² falls fourfold when σ halves everywhere: σ ≡ 0 solves
the PDE, and only the boundary and hinge terms (linear in σ) hold σ away from it. Where the
residual cannot vanish (the image's finite differences across a sharp inclusion's edge), the
PDE term then pulls σ down (on a sharp circle at G = 64: σ below 1 over much of the disk,
relative error 0.41, worse than the constant's 0.22); r/σ has no such pull (0.17; the numbers
are in :data:`~pinn_inverse.eit.cnn_pinn.problem.PRESETS`). ``"divergence"`` is eq. (2) as
printed.

The hinge is as printed, max(0, 1 − σ) with σ in units of the background: it holds σ at or
above the background (the paper's phantoms: background 1, inclusions 2–6), which is stronger
than the positivity its text describes. The discrete domains: Ω is the mask's pixels whose
four neighbours are inside it, ∂Ω the mask's other pixels (its edge), with the outward normal
of the disk at their centres.
"""

import deepxde as dde
import numpy as np

from ... import backend
from ...operators.grid import grid_gradient, grid_laplacian, mask_boundary
from ...validation import as_array, check_choice, check_int, check_positive

TERMS = ("pde", "top_m", "neumann", "boundary", "tv", "hinge", "weight_decay")
#: Table I: α, β, γ, the boundary σ term's 1, τ, ν, ζ
PAPER_WEIGHTS = {
    "pde": 0.01,
    "top_m": 0.01,
    "neumann": 1.5,
    "boundary": 1.0,
    "tv": 1.0,
    "hinge": 8.0,
    "weight_decay": 1e-6,
}
#: the auxiliary variables of each collocation point, in this column order
AUX = ("Ux", "Uy", "lapU", "on_boundary", "dUdn", "g")


def residual(x, sigma, aux):
    """The PDE residual r = ∇σ·∇U + σΔU = ∇·(σ∇U) (eq. 1), ∇σ by automatic differentiation.

    Parameters
    ----------
    x : tensor (N, 2)
        Points (nondimensional).
    sigma : tensor (N, 1)
        σ at the points (nondimensional), a function of ``x``.
    aux : tensor (N, 6)
        The columns of :data:`AUX` (``Ux, Uy, lapU`` are used).
    """
    sigma_x = dde.grad.jacobian(sigma, x, i=0, j=0)
    sigma_y = dde.grad.jacobian(sigma, x, i=0, j=1)
    return sigma_x * aux[:, 0:1] + sigma_y * aux[:, 1:2] + sigma * aux[:, 2:3]


def log_residual(x, sigma, aux):
    """The PDE residual over σ, r/σ = ∇ln σ·∇U + ΔU (σ > 0); arguments as for
    :func:`residual`."""
    return residual(x, sigma, aux) / sigma


#: the PDE residual of each formulation (the module's docstring says why ``"log"``)
RESIDUALS = {"divergence": residual, "log": log_residual}


def loss_terms(x, sigma, aux, top_m=40, xi=1e-4, sigma_boundary=1.0, formulation="divergence"):
    """The terms of eq. (2) but weight decay, unweighted, as a list of backend scalars in the
    order of :data:`TERMS` (see the module's docstring for each).

    Parameters
    ----------
    x, sigma, aux
        As for :func:`residual`; ``aux`` column ``on_boundary`` is 1 on ∂Ω and 0 in Ω.
    top_m : int
        M, the number of largest residuals of the top-M term.
    xi : float
        ξ, the smoothing of the TV term (nondimensional).
    sigma_boundary : float
        σ*, the known conductivity on the boundary (in units of the background).
    formulation : {"divergence", "log"}
        The PDE residual of the ``pde`` and ``top_m`` terms (:data:`RESIDUALS`).
    """
    on_boundary = aux[:, 3:4]
    inside = 1.0 - on_boundary
    n_inside = dde.backend.reduce_sum(inside)
    n_boundary = dde.backend.reduce_sum(on_boundary)
    r = RESIDUALS[formulation](x, sigma, aux)
    sigma_x = dde.grad.jacobian(sigma, x, i=0, j=0)
    sigma_y = dde.grad.jacobian(sigma, x, i=0, j=1)
    tv = backend.sqrt(sigma_x**2 + sigma_y**2 + xi)
    return [
        dde.backend.reduce_sum(inside * r**2) / n_inside,
        backend.reduce_mean(backend.top_k(inside * dde.backend.abs(r), top_m)),
        dde.backend.reduce_sum(on_boundary * dde.backend.abs(sigma * aux[:, 4:5] - aux[:, 5:6]))
        / n_boundary,
        dde.backend.reduce_sum(on_boundary * dde.backend.abs(sigma - sigma_boundary)) / n_boundary,
        dde.backend.reduce_sum(inside * tv) / n_inside,
        backend.reduce_mean(dde.backend.relu(1.0 - sigma)),
    ]


def boundary_current_density(mesh, currents, angles):
    """The current density g (A/m) that the electrodes inject at boundary angles (rad): each
    electrode's current I_l spread evenly over its arc, I_l / |e_l|, and 0 between electrodes.

    Parameters
    ----------
    mesh : EITMesh
        The disk and its electrodes.
    currents : array_like, shape (L,)
        Electrode currents (A), e.g. the paper's pattern g
        (:func:`~pinn_inverse.eit.patterns.trigonometric_pattern`).
    angles : array_like, shape (K,)
        Polar angles of boundary points (rad).
    """
    currents = as_array(currents, "currents", shape=(mesh.n_electrodes,))
    angles = as_array(angles, "angles", ndim=1)
    density = np.zeros(len(angles))
    lengths = mesh.electrode_lengths()
    for current, length, edges in zip(currents, lengths, mesh.electrodes, strict=True):
        ends = mesh.nodes[np.unique(edges)]
        theta = np.arctan2(ends[:, 1], ends[:, 0])
        centre = np.angle(np.exp(1j * theta).mean())
        half_width = np.abs(np.angle(np.exp(1j * (theta - centre)))).max()
        on = np.abs(np.angle(np.exp(1j * (angles - centre)))) <= half_width
        density[on] = current / length
    return density


def pixel_aux(U, mask, spacing, g):
    """The collocation points and their auxiliary variables (columns :data:`AUX`) from a
    potential image, all nondimensional.

    Parameters
    ----------
    U : ndarray (G, G)
        The potential image (nondimensional), read on the mask only.
    mask : ndarray of bool (G, G)
        Pixels inside the disk.
    spacing : float
        Pixel size (nondimensional: in radii).
    g : callable
        ``g(angles)``: the injected current density (nondimensional) at boundary angles (rad).

    Returns
    -------
    points : ndarray (n, 2)
        Pixel centres inside the mask, in ``image[mask]`` order.
    aux : ndarray (n, 6)
    """
    G = mask.shape[0]
    centres = spacing * (np.arange(G) + 0.5) - spacing * G / 2
    x, y = np.meshgrid(centres, centres[::-1])
    points = np.column_stack([x[mask], y[mask]])
    u = U[mask]
    Dx, Dy = grid_gradient(mask, spacing)
    Ux, Uy, lapU = Dx @ u, Dy @ u, grid_laplacian(mask, spacing) @ u
    on_boundary = mask_boundary(mask)[mask]
    normal = points / np.linalg.norm(points, axis=1, keepdims=True)
    dUdn = np.where(on_boundary, Ux * normal[:, 0] + Uy * normal[:, 1], 0.0)
    angles = np.arctan2(points[:, 1], points[:, 0])
    density = np.where(on_boundary, g(angles), 0.0)
    return points, np.column_stack([Ux, Uy, lapU, on_boundary, dUdn, density])


class SigmaData(dde.data.PDE):
    """``dde.data.PDE`` on fixed pixel collocation points whose loss is eq. (2), term by term.

    DeepXDE reduces every PDE output by the model's loss (mean squared error); eq. (2) reduces
    each term its own way (a mean of squares, of absolute values, of the largest residuals, a
    hinge, a weight norm), so :meth:`losses` returns the terms of :data:`TERMS` themselves.
    ``pde`` is the formulation's residual (:data:`RESIDUALS`), and
    ``model.predict(x, operator=data.pde)`` evaluates it on pixel centres.

    Parameters
    ----------
    geometry : dde.geometry.Geometry
        The disk (nondimensional).
    points, aux : ndarray
        From :func:`pixel_aux`.
    spacing : float
        Pixel size (nondimensional), to find the auxiliary variables of a pixel centre.
    top_m, xi, sigma_boundary, formulation
        As for :func:`loss_terms`.
    """

    def __init__(
        self,
        geometry,
        points,
        aux,
        spacing,
        top_m=40,
        xi=1e-4,
        sigma_boundary=1.0,
        formulation="divergence",
    ):
        self.formulation = check_choice(formulation, "formulation", RESIDUALS)
        self.pixel_points, self.pixel_aux = points, aux
        self.spacing = float(check_positive(spacing, "spacing"))
        inside = int(np.count_nonzero(aux[:, 3] == 0))
        self.top_m = check_int(top_m, "top_m", minimum=1)
        if self.top_m > inside:
            raise ValueError(f"top_m = {top_m} exceeds the {inside} pixels inside the boundary")
        self.xi, self.sigma_boundary = float(xi), float(sigma_boundary)
        self._index = {key: i for i, key in enumerate(map(tuple, self._keys(points)))}
        super().__init__(
            geometry,
            RESIDUALS[formulation],
            [],
            num_domain=0,
            num_boundary=0,
            anchors=points.astype(dde.config.real(np)),
            auxiliary_var_function=self.lookup,
        )

    def _keys(self, x):
        # pixel centres sit at odd multiples of half a pixel from the centre
        return np.rint(2 * np.asarray(x) / self.spacing).astype(np.int64)

    def lookup(self, x):
        """The auxiliary variables of pixel centres ``x`` (n, 2); other points are refused."""
        keys = self._keys(x)
        rows = np.array([self._index.get(tuple(k), -1) for k in keys], dtype=np.int64)
        off = (rows < 0) | (
            np.abs(np.asarray(x) - self.pixel_points[np.maximum(rows, 0)]).max(axis=1)
            > 1e-3 * self.spacing
        )
        if off.any():
            raise ValueError(
                f"{int(off.sum())} point(s) are not pixel centres inside the mask: U's "
                "derivatives are known there only"
            )
        return self.pixel_aux[rows]

    def losses(self, targets, outputs, loss_fn, inputs, model, aux=None):
        terms = loss_terms(
            inputs,
            outputs,
            model.net.auxiliary_vars,
            self.top_m,
            self.xi,
            self.sigma_boundary,
            self.formulation,
        )
        return [*terms, backend.squared_weights(model.net)]
