"""ED-PINN's physics as pure functions of (x, y), nondimensional and backend-neutral.

``x`` are points (N, 3) in units of the scalp radius, ``y`` the network's outputs (N, K): one
column per shell (``shells``, ``hard-shells``) or one for the whole head (``single``). They
work on DeepXDE tensors inside a loss and, where no derivative is taken, on numpy arrays.
"""

import deepxde as dde

from ... import backend


def radius(x):
    """|x| per row, shape (N, 1)."""
    return backend.sqrt(x[:, 0:1] ** 2 + x[:, 1:2] ** 2 + x[:, 2:3] ** 2)


def laplacian_terms(x, y, masks, sigmas):
    """σ̃ Δφ̃, the left side of eq. (1), with the conductivity of the shell at each point.

    ``masks`` are the shells' indicators at ``x`` (:meth:`ThreeShellHead.shell_masks`) and
    ``sigmas`` their nondimensional conductivities; ``y`` has one column per shell, or one for
    all. σ̃ and the masks are constant inside each shell, so Δ(Σₖ mₖ σ̃ₖ φ̃ₖ) equals
    Σₖ mₖ σ̃ₖ Δφ̃ₖ almost everywhere: one Laplacian instead of one per shell.
    """
    pairs = list(zip(masks, sigmas, strict=True))
    if y.shape[1] == 1:
        z = sum(m * s for m, s in pairs) * y
    else:
        z = sum(m * s * y[:, k : k + 1] for k, (m, s) in enumerate(pairs))
    return sum(dde.grad.hessian(z, x, i=d, j=d) for d in range(3))


def radial_flux(x, y, k, sigma):
    """σ̃ₖ ∂φ̃ₖ/∂r = σ̃ₖ (x/|x|)·∇φ̃ₖ: the normal current density of shell k's potential
    (output column k) on a sphere centred at the origin."""
    grad = sum(x[:, d : d + 1] * dde.grad.jacobian(y, x, i=k, j=d) for d in range(3))
    return sigma * grad / radius(x)


def neumann_map(x):
    """ξ = x (3 − |x|²)/2: the network input of ``hard-shells``.

    Radially, |ξ| = g(r) = (3r − r³)/2 with g(1) = 1 and g′(r) = 3(1 − r²)/2 > 0 inside: a
    smooth bijection of the unit ball onto itself, polynomial in x, whose radial derivative
    vanishes at r = 1. Any function of ξ therefore has ∂/∂r = 0 at the scalp: the zero-flux
    condition (eq. 2) holds by construction instead of as a loss term.
    """
    r2 = x[:, 0:1] ** 2 + x[:, 1:2] ** 2 + x[:, 2:3] ** 2
    return x * (3.0 - r2) / 2.0


def compose_hard_shells(x, y, radii, brain_primary=0.0, scalp_primary=0.0):
    """The ``hard-shells`` potentials from the network's outputs N_k(ξ), ξ = ξ(x):

        φ̃_scalp = N_last + φ̃₀(ξ)/σ̃₀,
        φ̃_k     = φ̃_{k+1} + (r − R_k)/(R_k − R_{k−1}) N_k     (skull, any middle shell),
        φ̃_brain = N_0 + φ̃₀(x)/σ̃₀,

    with ``brain_primary`` = φ̃₀(x)/σ̃₀ and ``scalp_primary`` = φ̃₀(ξ)/σ̃₀ (zero without a known
    source). Every term of φ̃_scalp is a function of ξ (:func:`neumann_map`), so ∂φ̃/∂r = 0
    at the scalp (eq. 2) exactly, and each middle shell equals its outer neighbour on their
    interface; the continuity at the brain's surface and every flux condition stay loss
    terms. In the scalp, the primary's composition with ξ keeps the Neumann condition exact
    and lets the data term see the source directly. ``radii`` are nondimensional.
    """
    r = radius(x)
    last = y.shape[1] - 1
    shells = [y[:, last:] + scalp_primary]
    for k in range(last - 1, 0, -1):
        thickness = radii[k] - radii[k - 1]
        shells.insert(0, shells[0] + (r - radii[k]) / thickness * y[:, k : k + 1])
    return backend.concat([y[:, 0:1] + brain_primary, *shells], axis=1)


def add_primary(y, primary):
    """φ̃ = φ̃₀/σ̃₀ + network in every column (the subtraction approach of FEM EEG forward
    modelling, Wolters et al. 2007): φ̃₀ carries the source's singular part exactly
    (σ̃₀ Δφ̃₀ = −Ĩ) and is harmonic outside the brain, so the networks learn the smooth
    secondary field, and the data term sees the source directly at the scalp."""
    # column by column, not a broadcast (N, 3) + (N, 1): TensorFlow's graph optimiser
    # apparently fuses the broadcast add into the last layer's BiasAdd and fails in the L-BFGS
    # stage ("Must provide as many biases as the last dimension", known mode, shells)
    return backend.concat([y[:, k : k + 1] + primary for k in range(y.shape[1])], axis=1)
