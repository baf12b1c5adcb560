"""Concentric-shell head models: geometry and conductivity σ(x)."""

from dataclasses import dataclass, field

import numpy as np

from .. import backend
from ..validation import as_array, as_points, check_increasing, check_positive

PAPER_RADII = (0.035, 0.040, 0.050)  # brain, skull, scalp (m), ED-PINN Sec. 5.1
PAPER_SIGMAS = (0.33, 0.013, 0.43)  # S/m, ED-PINN Sec. 5.1
PAPER_TISSUES = ("brain", "skull", "scalp")


@dataclass(frozen=True)
class ThreeShellHead:
    """N concentric spherical shells centred at the origin (three by default).

    Parameters
    ----------
    radii : sequence of float
        Outer radius of each shell, innermost first, strictly increasing (m).
        Default: the ED-PINN paper's brain / skull / scalp, 0.035 / 0.040 / 0.050 m.
    sigmas : sequence of float
        Isotropic conductivity of each shell (S/m), strictly positive.
        Default: 0.33 / 0.013 / 0.43 S/m.
    tissues : sequence of str, optional
        A name per shell, used in figures and reports.

    Notes
    -----
    The class is called ``ThreeShellHead`` after the paper's model, but any number of shells
    works (one shell is a homogeneous sphere). Sources live in the innermost shell.
    """

    radii: tuple = PAPER_RADII
    sigmas: tuple = PAPER_SIGMAS
    tissues: tuple = field(default=None)

    def __post_init__(self):
        radii = check_increasing(check_positive(self.radii, "radii"), "radii")
        sigmas = check_positive(as_array(self.sigmas, "sigmas", ndim=1), "sigmas")
        if radii.shape != sigmas.shape:
            raise ValueError(
                f"radii and sigmas need one entry per shell, got {radii.size} radii and "
                f"{sigmas.size} sigmas"
            )
        tissues = self.tissues
        if tissues is None:
            tissues = PAPER_TISSUES if radii.size == 3 else [f"shell{k}" for k in range(radii.size)]
        if len(tissues) != radii.size:
            raise ValueError(f"tissues needs {radii.size} names, got {len(tissues)}")
        object.__setattr__(self, "radii", tuple(float(r) for r in radii))
        object.__setattr__(self, "sigmas", tuple(float(s) for s in sigmas))
        object.__setattr__(self, "tissues", tuple(tissues))

    @property
    def n_shells(self):
        return len(self.radii)

    @property
    def radius(self):
        """Outer (scalp) radius (m)."""
        return self.radii[-1]

    def shell_index(self, points):
        """Index of the shell containing each point; ``n_shells`` for points outside (m)."""
        r = np.linalg.norm(as_points(points, "points"), axis=1)
        return np.searchsorted(np.asarray(self.radii), r, side="left")

    def shell_masks(self, x, length=1.0):
        """Indicator of each shell, innermost first, at points ``x`` given in units of
        ``length`` (m): a list of (N, 1) arrays of 0 and 1 that sum to 1 (points outside the
        head count as outermost). Works on numpy arrays and backend tensors, like :meth:`sigma`.
        """
        r = backend.sqrt(x[:, 0:1] ** 2 + x[:, 1:2] ** 2 + x[:, 2:3] ** 2)
        masks, below = [], 0.0
        for radius in self.radii[:-1]:
            inside = backend.step(radius / length - r)  # H(R_k − r): in shell k or below
            masks.append(inside - below)
            below = inside
        masks.append(1.0 - below)
        return masks

    def contains(self, points):
        """True where a point lies inside the head (r ≤ outer radius)."""
        return self.shell_index(points) < self.n_shells

    def sigma(self, x):
        """Conductivity σ(x) (S/m) at points ``x`` of shape (N, 3).

        Works on numpy arrays and on DeepXDE backend tensors alike, so the same function
        serves the reference solvers and the PDE residual of a network. Points outside the
        head get the outermost shell's conductivity.
        """
        if isinstance(x, np.ndarray | list | tuple):
            x = as_points(x, "x")
            r = np.linalg.norm(x, axis=1, keepdims=True)
        else:
            r = backend.sqrt(x[:, 0:1] ** 2 + x[:, 1:2] ** 2 + x[:, 2:3] ** 2)
        sigma = self.sigmas[-1] + 0.0 * r
        for k in range(self.n_shells - 1):
            # σ = σ_N + Σ_k (σ_k − σ_{k+1}) H(R_k − r): piecewise constant by shell
            sigma = sigma + (self.sigmas[k] - self.sigmas[k + 1]) * backend.step(self.radii[k] - r)
        return sigma

    def volume(self, shell=None):
        """Volume of one shell, or of the whole head when ``shell`` is None (m³)."""
        outer = self.radii[-1] if shell is None else self.radii[shell]
        inner = 0.0 if shell in (None, 0) else self.radii[shell - 1]
        return 4.0 / 3.0 * np.pi * (outer**3 - inner**3)
