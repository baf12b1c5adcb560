"""Current sources I(x) for ∇·(σ∇φ) = −I (ED-PINN eq. 1), in A/m³.

The head is insulated (zero flux at the scalp, eq. 2), so the pure Neumann problem has a
solution only if the source integrates to zero over the head: ∫ I dV = 0. A current dipole
and a source/sink pair satisfy it; the paper's single positive Gaussian (eq. 8) does not, and
is refused unless the user asks for an explicit compensating sink.
"""

import math
from dataclasses import dataclass

import numpy as np

from .. import backend
from ..validation import as_array, as_points, check_positive
from .head import PAPER_RADII, ThreeShellHead

# The Gaussian's mass beyond 3 widths (in one direction) is 0.13 %: a source closer than
# that to the brain boundary would leak current into the skull.
SUPPORT_WIDTHS = 3.0


def _gaussian(x, centre, width):
    """Normalised 3D Gaussian g(x − x₀) (1/m³)."""
    d2 = np.sum((x - np.asarray(centre)) ** 2, axis=1)
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
        return dipole_density(x, self.position, self.moment, self.width)[:, 0]

    def primary_potential(self, x, sigma):
        """Potential of the smoothed dipole in an infinite medium of conductivity σ (V)."""
        x = as_points(x, "x")
        return dipole_potential(x, self.position, self.moment, self.width)[:, 0] / sigma


def _columns(x, centre):
    return [x[:, i : i + 1] - centre[i] for i in range(3)]


def _squared_norm(d):
    # products, not d ** 2: TensorFlow's third derivative of a square is 0 · d⁻¹ = NaN at 0
    return d[0] * d[0] + d[1] * d[1] + d[2] * d[2]


def dipole_density(x, centre, moment, width):
    """Smoothed-dipole current density g(x − x₀) p·(x − x₀)/s², shape (N, 1).

    Backend-neutral: ``x`` may be a numpy array or a DeepXDE tensor, and ``centre`` and
    ``moment`` may hold trainable variables. Any consistent units (SI: A/m³).
    """
    d = _columns(x, centre)
    d2 = _squared_norm(d)
    g = backend.exp(-d2 / (2 * width**2)) / ((2 * np.pi) ** 1.5 * width**3)
    return g * (d[0] * moment[0] + d[1] * moment[1] + d[2] * moment[2]) / width**2


# f(ρ) = shape(ρ)/ρ³ near ρ = 0: √(2/π) Σ_k (−1)^k ρ^{2k} / (2^k k! (2k + 3))
_SERIES = [(-1) ** k / (2**k * math.factorial(k) * (2 * k + 3)) for k in range(5)]
_SERIES_BELOW = 0.5  # truncation error < 3e-8 there; the closed form cancels below it


def dipole_potential(x, centre, moment, width):
    """σ × potential of the smoothed dipole in an infinite homogeneous medium, shape (N, 1).

    σφ₀ = p·d / (4π|d|³) · [erf(ρ/√2) − √(2/π) ρ exp(−ρ²/2)], ρ = |d|/s: the dipole derivative
    of the Gaussian charge's potential erf(r/√2s)/(4πσr). It tends to the point dipole beyond
    a few widths and is finite at x₀ (a series replaces the closed form for ρ < 0.5, where it
    would cancel catastrophically). Backend-neutral like :func:`dipole_density`.
    """
    d = _columns(x, centre)
    u = _squared_norm(d) / width**2  # ρ², no square root at x₀
    far = backend.step(u - _SERIES_BELOW**2)
    rho = backend.sqrt((u - _SERIES_BELOW**2) * far + _SERIES_BELOW**2)  # max(ρ, 0.5)
    closed = (
        backend.erf(rho / np.sqrt(2)) - np.sqrt(2 / np.pi) * rho * backend.exp(-(rho**2) / 2)
    ) / rho**3
    series = 0.0
    for c in reversed(_SERIES):  # Horner in ρ²
        series = series * u + c
    f = far * closed + (1 - far) * np.sqrt(2 / np.pi) * series  # shape(ρ)/ρ³
    p_dot_d = d[0] * moment[0] + d[1] * moment[1] + d[2] * moment[2]
    return f * p_dot_d / (4 * np.pi * width**3)


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
