"""The Aliev-Panfilov model on the heart surface (EAND-ARN eqs. 1-3).

    ∂u/∂t = D Δu + k u (u − a)(1 − u) − u v                       (1)
    ∂v/∂t = ξ(u, v) (−v − k u (u − a − 1)),  ξ = e₀ + μ₁ v / (u + μ₂)   (2)
    n · ∇u = 0 on the boundary                                    (3)

u is the normalised transmembrane potential, v the recovery variable, time t is the model's
dimensionless unit (Aliev & Panfilov 1996 relate 1 unit to about 12.9 ms). On a closed
surface eq. (3) holds trivially. The paper's D = 10 is in mm² per time unit; this module
takes lengths in m, so the default is ``D = 1e-5`` m² per time unit. The planar-wave speed of
the cubic front is c = (1 − 2a) √(k D / 2) ≈ 5.1 mm per unit (about 0.39 m/s).

Integration is explicit Euler with the Laplacian of
:func:`~pinn_inverse.operators.mesh_laplacian` (eq. 15 by default), vectorised over nodes.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse.linalg as spla
from tqdm.auto import trange

from ..operators import mesh_laplacian
from ..validation import as_array, check_int, check_positive
from .geometry import Surface

A, K, E0, MU1, MU2 = 0.1, 8.0, 0.002, 0.3, 0.3
D_DEFAULT = 1e-5


@dataclass(frozen=True)
class Simulation:
    """Output of :func:`aliev_panfilov`.

    Attributes
    ----------
    u, v : ndarray, shape (n_nodes, n_frames)
        Normalised potential and recovery variable (dimensionless).
    t : ndarray, shape (n_frames,)
        Frame times (model time units).
    dt : float
        The integration step used (model time units).
    """

    u: np.ndarray
    v: np.ndarray
    t: np.ndarray
    dt: float


def reaction(u, v):
    """Right-hand sides of eqs. (1)-(2) without diffusion: ``(du/dt, dv/dt)``."""
    du = K * u * (u - A) * (1.0 - u) - u * v
    xi = E0 + MU1 * v / (u + MU2)
    dv = xi * (-v - K * u * (u - A - 1.0))
    return du, dv


def planar_wave_speed(D=D_DEFAULT):
    """Speed of a planar front of the cubic reaction term, (1 − 2a) √(k D / 2) (m per unit)."""
    return (1.0 - 2.0 * A) * np.sqrt(K * float(check_positive(D, "D")) / 2.0)


def diffusion_step_limit(laplacian, D=D_DEFAULT):
    """Largest stable explicit-Euler step for ``du/dt = D L u``: ``2 / (D |λ_max(L)|)``."""
    lam = spla.eigs(laplacian.astype(float), k=1, which="LM", return_eigenvectors=False)
    return 2.0 / (float(check_positive(D, "D")) * abs(lam[0]))


def aliev_panfilov(
    heart,
    pacing_nodes,
    duration=60.0,
    n_frames=661,
    D=D_DEFAULT,
    pacing_radius=0.008,
    dt=None,
    laplacian="fdm",
    progress=False,
):
    """Simulate one beat on a heart surface, paced from one or more nodes.

    At t = 0 the tissue is at rest (u = v = 0) except within ``pacing_radius`` of each pacing
    node, where u = 1.

    Parameters
    ----------
    heart : Surface
        The heart surface (vertices in m).
    pacing_nodes : int or sequence of int
        Indices of the pacing sites.
    duration : float
        Simulated time (model units); the default covers activation and recovery of the
        default heart.
    n_frames : int
        Number of output frames, equally spaced on ``[0, duration]`` (661 in the paper).
    D : float
        Diffusion coefficient (m² per model time unit).
    pacing_radius : float
        Radius of the stimulated patch around each pacing node (m).
    dt : float, optional
        Integration step (model units). By default half of the combined diffusion and
        reaction limit ``1 / (D |λ_max| + k)``, rounded down to divide the frame interval.
        A requested step above the diffusion limit ``2 / (D |λ_max|)`` is refused.
    laplacian : {"fdm", "cotangent"}
        Discretisation of Δ (see :func:`~pinn_inverse.operators.mesh_laplacian`).
    progress : bool
        Show a tqdm progress bar over the frames.

    Returns
    -------
    Simulation
        ``u``, ``v`` of shape ``(n_nodes, n_frames)``, frame times ``t`` and the step ``dt``.
    """
    if not isinstance(heart, Surface):
        raise TypeError(f"heart must be a Surface, got {type(heart).__name__}")
    pacing = np.atleast_1d(as_array(pacing_nodes, "pacing_nodes", dtype=np.int64))
    if pacing.ndim != 1 or pacing.size == 0 or pacing.min() < 0 or pacing.max() >= heart.n_nodes:
        raise ValueError(
            f"pacing_nodes must be node indices in 0..{heart.n_nodes - 1}, got {pacing.tolist()}"
        )
    duration = float(check_positive(duration, "duration"))
    n_frames = check_int(n_frames, "n_frames", minimum=2)
    D = float(check_positive(D, "D"))
    pacing_radius = float(check_positive(pacing_radius, "pacing_radius"))
    L = mesh_laplacian(heart.vertices, heart.faces, laplacian)
    limit = diffusion_step_limit(L, D)
    frame_dt = duration / (n_frames - 1)
    if dt is None:
        dt = 1.0 / (2.0 / limit + K)
    else:
        dt = float(check_positive(dt, "dt"))
        if dt > limit:
            raise ValueError(
                f"dt = {dt:.4g} is unstable: explicit Euler needs dt <= 2 / (D |λ_max|) = "
                f"{limit:.4g} on this mesh; use a smaller dt or leave it to the default"
            )
    substeps = int(np.ceil(frame_dt / dt - 1e-9))
    dt = frame_dt / substeps
    DL = (D * L).tocsr()

    distance = np.linalg.norm(heart.vertices[:, None] - heart.vertices[pacing][None], axis=2)
    u = np.where(distance.min(axis=1) <= pacing_radius, 1.0, 0.0)
    v = np.zeros_like(u)
    us, vs = np.empty((heart.n_nodes, n_frames)), np.empty((heart.n_nodes, n_frames))
    us[:, 0], vs[:, 0] = u, v
    for frame in trange(1, n_frames, desc="Aliev-Panfilov", disable=not progress):
        for _ in range(substeps):
            du, dv = reaction(u, v)
            u, v = u + dt * (DL @ u + du), v + dt * dv
        us[:, frame], vs[:, frame] = u, v
    return Simulation(us, vs, np.linspace(0.0, duration, n_frames), dt)
