"""Current sources I(x) for ∇·(σ∇φ) = −I (ED-PINN eq. 1), in A/m³.

The head is insulated (zero flux at the scalp, eq. 2), so the pure Neumann problem has a
solution only if the source integrates to zero over the head: ∫ I dV = 0. A current dipole
and a source/sink pair satisfy it; the paper's single positive Gaussian (eq. 8) does not, and
is refused unless the user asks for an explicit compensating sink.
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import erf

from ..validation import as_array, as_points, check_positive
from .head import PAPER_RADII, ThreeShellHead

# The Gaussian's mass beyond 3 widths (in one direction) is 0.13 %: a source closer than
# that to the brain boundary would leak current into the skull.
SUPPORT_WIDTHS = 3.0


def _gaussian(x, centre, width):
    """Normalised 3D Gaussian g(x − x₀) (1/m³)."""
    d2 = np.sum((x - centre) ** 2, axis=1)
    return np.exp(-d2 / (2 * width**2)) / ((2 * np.pi) ** 1.5 * width**3)


def _check_in_brain(head, centre, width, what):
    r = float(np.linalg.norm(centre))
    limit = head.radii[0] - SUPPORT_WIDTHS * width
    if r > limit:
        raise ValueError(
            f"{what} at distance {r * 1e3:.1f} mm from the centre is outside the brain or too "
            f"close to its boundary: with width {width * 1e3:.1f} mm it must lie within "
            f"{limit * 1e3:.1f} mm (brain radius {head.radii[0] * 1e3:.1f} mm minus "
            f"{SUPPORT_WIDTHS:g} widths); move it inwards or make it narrower"
        )


@dataclass(frozen=True)
class Dipole:
    """A Gaussian-smoothed current dipole, the library's default source.

    I(x) = −p·∇g(x − x₀), with g a normalised Gaussian of standard deviation ``width``.
    It integrates to zero and its first moment ∫ x I dV is p, so far from x₀ it is exactly
    a point dipole of moment p.

    Parameters
    ----------
    position : array_like, shape (3,)
        Dipole location x₀ (m), inside the brain.
    moment : array_like, shape (3,)
        Dipole moment p (A·m); 10 nA·m is a typical evoked response.
    width : float
        Standard deviation of the smoothing Gaussian (m), > 0.
    """

    position: tuple = (0.01, 0.0, 0.0)
    moment: tuple = (0.0, 1e-8, 0.0)
    width: float = 0.004

    def __post_init__(self):
        position = as_array(self.position, "position", shape=(3,))
        moment = as_array(self.moment, "moment", shape=(3,))
        if not np.any(moment):
            raise ValueError("moment must be non-zero (A·m)")
        width = float(check_positive(self.width, "width"))
        object.__setattr__(self, "position", tuple(position.tolist()))
        object.__setattr__(self, "moment", tuple(moment.tolist()))
        object.__setattr__(self, "width", width)

    def check_compatible(self, head: ThreeShellHead):
        """Raise ``ValueError`` unless the smoothed dipole lies inside the brain."""
        _check_in_brain(head, np.asarray(self.position), self.width, "the dipole")

    def density(self, x):
        """I(x) = −p·∇g(x − x₀) = g · p·(x − x₀)/s² (A/m³) at points (N, 3) (m)."""
        x = as_points(x, "x")
        d = x - np.asarray(self.position)
        return _gaussian(x, np.asarray(self.position), self.width) * (
            d @ np.asarray(self.moment) / self.width**2
        )

    def primary_potential(self, x, sigma):
        """Potential of the smoothed dipole in an infinite medium of conductivity σ (V).

        φ₀ = p·d / (4πσ|d|³) · [erf(|d|/(√2 s)) − √(2/π) (|d|/s) exp(−|d|²/2s²)],
        the dipole derivative of the Gaussian charge's potential erf(r/√2s)/(4πσr).
        It tends to the point-dipole potential beyond a few widths and is finite at x₀.
        """
        x = as_points(x, "x")
        d = x - np.asarray(self.position)
        r = np.linalg.norm(d, axis=1)
        s = self.width
        rho = r / s
        small = rho < 1e-3
        rho_safe = np.where(small, 1.0, rho)
        shape = erf(rho_safe / np.sqrt(2)) - np.sqrt(2 / np.pi) * rho_safe * np.exp(
            -(rho_safe**2) / 2
        )
        # series near the centre: shape ≈ √(2/π) ρ³/3, so shape/r³ → √(2/π)/(3 s³)
        factor = np.where(
            small, np.sqrt(2 / np.pi) / (3 * s**3), shape / np.where(small, 1, r) ** 3
        )
        return factor * (d @ np.asarray(self.moment)) / (4 * np.pi * sigma)


@dataclass(frozen=True)
class GaussianSource:
    """The ED-PINN paper's single Gaussian source (eq. 8), I = I₀ exp(−|x − x₀|²/2s²).

    It injects a net current Q = I₀ (2π)^{3/2} s³ into an insulated head, so the Neumann
    problem has no solution. It is refused unless ``compensate=True``, which adds a uniform
    sink −Q / V over the ball r ≤ ``sink_radius`` so that ∫ I dV = 0 (a choice the paper does
    not make; prefer :class:`Dipole` or :class:`SourceSinkPair`).

    Parameters
    ----------
    position : array_like, shape (3,)
        Centre x₀ (m). Paper: (0.01, 0, 0).
    amplitude : float
        Peak current density I₀ (A/m³). Paper: 1.0.
    width : float
        Standard deviation s (m). Paper: 0.006.
    compensate : bool
        Add the uniform compensating sink (default False).
    sink_radius : float
        Radius of the ball that carries the compensating sink (m); at most the brain radius.
        Default: the paper's brain radius, 0.035 m.
    """

    position: tuple = (0.01, 0.0, 0.0)
    amplitude: float = 1.0
    width: float = 0.006
    compensate: bool = False
    sink_radius: float = PAPER_RADII[0]

    def __post_init__(self):
        position = as_array(self.position, "position", shape=(3,))
        object.__setattr__(self, "position", tuple(position.tolist()))
        object.__setattr__(self, "amplitude", float(as_array(self.amplitude, "amplitude")))
        object.__setattr__(self, "width", float(check_positive(self.width, "width")))
        object.__setattr__(
            self, "sink_radius", float(check_positive(self.sink_radius, "sink_radius"))
        )

    @property
    def net_current(self):
        """Q = ∫ I₀ exp(−|x − x₀|²/2s²) dV = I₀ (2π)^{3/2} s³ (A)."""
        return self.amplitude * (2 * np.pi) ** 1.5 * self.width**3

    def check_compatible(self, head: ThreeShellHead):
        """Raise ``ValueError`` if the source leaks out of the brain or injects net current."""
        _check_in_brain(head, np.asarray(self.position), self.width, "the Gaussian source")
        if not self.compensate and self.net_current != 0:
            raise ValueError(
                f"a single Gaussian source injects a net current of {self.net_current:.3e} A into "
                "an insulated head: the zero-flux (Neumann) problem ∇·(σ∇φ) = −I has a solution "
                "only if ∫ I dV = 0 over the head. Use a Dipole (the default source), a "
                "SourceSinkPair, or GaussianSource(..., compensate=True) to add an explicit "
                "uniform sink over the brain"
            )
        if self.compensate and self.sink_radius > head.radii[0]:
            raise ValueError(
                f"sink_radius {self.sink_radius} m exceeds the brain radius {head.radii[0]} m"
            )

    def density(self, x):
        """I(x) (A/m³), with the uniform compensating sink when ``compensate`` is set."""
        x = as_points(x, "x")
        centre = np.asarray(self.position)
        value = self.amplitude * np.exp(-np.sum((x - centre) ** 2, axis=1) / (2 * self.width**2))
        if self.compensate:
            in_ball = np.linalg.norm(x, axis=1) <= self.sink_radius
            value = value - in_ball * self.net_current / (4 / 3 * np.pi * self.sink_radius**3)
        return value


@dataclass(frozen=True)
class SourceSinkPair:
    """A Gaussian current source and an equal Gaussian sink: ∫ I dV = 0 by construction.

    Parameters
    ----------
    source, sink : array_like, shape (3,)
        Centres of the source and of the sink (m), inside the brain.
    current : float
        Current injected by the source and removed by the sink (A).
    width : float
        Standard deviation of both Gaussians (m).
    """

    source: tuple = (0.015, 0.0, 0.0)
    sink: tuple = (0.005, 0.0, 0.0)
    current: float = 1e-6
    width: float = 0.004

    def __post_init__(self):
        for name in ("source", "sink"):
            value = as_array(getattr(self, name), name, shape=(3,))
            object.__setattr__(self, name, tuple(value.tolist()))
        object.__setattr__(self, "current", float(as_array(self.current, "current")))
        object.__setattr__(self, "width", float(check_positive(self.width, "width")))

    def check_compatible(self, head: ThreeShellHead):
        """Raise ``ValueError`` unless both Gaussians lie inside the brain."""
        for name in ("source", "sink"):
            _check_in_brain(head, np.asarray(getattr(self, name)), self.width, f"the {name}")

    def density(self, x):
        """I(x) = Q [g(x − x_source) − g(x − x_sink)] (A/m³)."""
        x = as_points(x, "x")
        return self.current * (
            _gaussian(x, np.asarray(self.source), self.width)
            - _gaussian(x, np.asarray(self.sink), self.width)
        )
