"""Current (injection) and measurement patterns, as (L, P) matrices.

A current pattern column holds the current of every electrode (A) and sums to zero. A
measurement pattern column ``m`` reads the voltage ``m @ U`` from the electrode potentials U;
its columns also sum to zero, so a measurement never depends on the ground.
"""

import numpy as np

from ..validation import check_int, check_positive


def trigonometric_pattern(n_electrodes=16, phi=0.0, amplitude=1.0):
    """The paper's current pattern g_k = sin(ω k + φ) / √(2π), ω = 2π / L (Sec. II-A).

    Parameters
    ----------
    n_electrodes : int
        Number of electrodes L (the paper: 16, so ω = 2π/16).
    phi : float
        Phase φ (rad); the paper uses 0.
    amplitude : float
        Scale of the pattern (A); 1 gives the paper's values.

    Returns
    -------
    ndarray, shape (L, 1)
        Electrode currents (A); electrode k = 1..L sits at angle 2π (k − 1) / L.
    """
    L = check_int(n_electrodes, "n_electrodes", minimum=2)
    amplitude = float(check_positive(amplitude, "amplitude"))
    k = np.arange(1, L + 1)
    g = amplitude * np.sin(2 * np.pi / L * k + phi) / np.sqrt(2 * np.pi)
    # Σ_k sin(ωk + φ) vanishes exactly; remove the rounding residue so Kirchhoff's law holds.
    return (g - g.mean())[:, None]


def trigonometric_set(n_electrodes=16, amplitude=1.0):
    """The full trigonometric basis: cos(kθ_l), k = 1..L/2, and sin(kθ_l), k = 1..L/2 − 1.

    These L − 1 patterns span every current vector that sums to zero (L even), and are the
    optimal patterns of Isaacson for a centred disk.

    Returns
    -------
    ndarray, shape (L, L − 1)
        Electrode currents (A).
    """
    L = check_int(n_electrodes, "n_electrodes", minimum=2)
    amplitude = float(check_positive(amplitude, "amplitude"))
    theta = 2 * np.pi * np.arange(L) / L
    cos = [np.cos(k * theta) for k in range(1, L // 2 + 1)]
    sin = [np.sin(k * theta) for k in range(1, (L + 1) // 2)]
    patterns = np.column_stack(cos + sin)
    return amplitude * (patterns - patterns.mean(axis=0))


def adjacent_injection(n_electrodes=16, amplitude=1.0):
    """Adjacent (neighbouring) injection: +I on electrode l, −I on electrode l + 1.

    Returns
    -------
    ndarray, shape (L, L)
        Electrode currents (A), one pattern per electrode pair (l, l + 1 mod L).
    """
    L = check_int(n_electrodes, "n_electrodes", minimum=2)
    amplitude = float(check_positive(amplitude, "amplitude"))
    return amplitude * (np.eye(L) - np.roll(np.eye(L), 1, axis=0))


def adjacent_differences(n_electrodes=16):
    """Adjacent difference measurements U_l − U_{l+1}, l = 1..L (the four-electrode protocol).

    Returns
    -------
    ndarray, shape (L, L)
        Measurement patterns (dimensionless).
    """
    L = check_int(n_electrodes, "n_electrodes", minimum=2)
    return np.eye(L) - np.roll(np.eye(L), 1, axis=0)


def electrode_voltages(n_electrodes=16):
    """All electrode voltages, referenced to their mean: U_l − mean(U).

    Returns
    -------
    ndarray, shape (L, L)
        Measurement patterns (dimensionless), I − 1/L.
    """
    L = check_int(n_electrodes, "n_electrodes", minimum=2)
    return np.eye(L) - 1.0 / L
