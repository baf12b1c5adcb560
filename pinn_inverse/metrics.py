"""Error metrics of the three papers, each with the equation it implements.

All functions take ``(estimate, truth)`` in that order and return a Python float.
"""

import numpy as np

from .validation import as_array


def _pair(estimate, truth, name="estimate"):
    estimate = as_array(estimate, name)
    truth = as_array(truth, "truth")
    if estimate.shape != truth.shape:
        raise ValueError(f"{name} has shape {estimate.shape} but truth has shape {truth.shape}")
    return estimate, truth


def _masked(estimate, truth, mask):
    estimate, truth = _pair(estimate, truth)
    if mask is None:
        return estimate.ravel(), truth.ravel()
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != truth.shape:
        raise ValueError(f"mask has shape {mask.shape} but truth has shape {truth.shape}")
    return estimate[mask], truth[mask]


def rel_l2(estimate, truth, mask=None):
    """Relative L2 error ‖φ̂ − φ‖₂ / ‖φ‖₂ (ED-PINN eq. 9, with the square root it omits)."""
    estimate, truth = _masked(estimate, truth, mask)
    return float(np.linalg.norm(estimate - truth) / np.linalg.norm(truth))


def localization_error(estimate, truth):
    """Euclidean distance between an estimated and a true source position (m)."""
    estimate, truth = _pair(estimate, truth, "estimated position")
    return float(np.linalg.norm(estimate - truth))


def re(u_hat, u):
    """Relative error over all nodes and times (EAND-ARN eq. 19); arrays ``(nodes, times)``."""
    u_hat, u = _pair(u_hat, u, "u_hat")
    return float(np.sqrt(np.sum((u_hat - u) ** 2) / np.sum(u**2)))


def cc(u_hat, u):
    """Correlation coefficient of time series centred per node (EAND-ARN eq. 20).

    Arrays are ``(nodes, times)``; each node's time series has its own mean removed before the
    inner products are summed over nodes.
    """
    u_hat, u = _pair(u_hat, u, "u_hat")
    a = u_hat - u_hat.mean(axis=-1, keepdims=True)
    b = u - u.mean(axis=-1, keepdims=True)
    return float(np.sum(a * b) / np.sqrt(np.sum(a**2) * np.sum(b**2)))


def mse(u_hat, u):
    """Mean squared error over all spatiotemporal instances (EAND-ARN eq. 21)."""
    u_hat, u = _pair(u_hat, u, "u_hat")
    return float(np.mean((u_hat - u) ** 2))


def pearson_cc(estimate, truth, mask=None):
    """Pearson correlation coefficient of two images on a mask (the EIT paper's CC)."""
    estimate, truth = _masked(estimate, truth, mask)
    return float(np.corrcoef(estimate, truth)[0, 1])


def rie(estimate, truth, mask=None):
    """Relative image error ‖σ̂ − σ‖ / ‖σ‖ on a mask (the EIT paper's RIE)."""
    return rel_l2(estimate, truth, mask)


def ssim(estimate, truth, data_range, mask=None):
    """Structural similarity (scikit-image) with a fixed ``data_range``, averaged on a mask.

    A fixed data range (e.g. the phantom's conductivity span) keeps scores comparable
    between reconstructions, unlike a range estimated from each image.
    """
    from skimage.metrics import structural_similarity

    estimate, truth = _pair(estimate, truth)
    if estimate.ndim != 2:
        raise ValueError(f"ssim needs 2-D images, got shape {estimate.shape}")
    _, ssim_map = structural_similarity(estimate, truth, data_range=data_range, full=True)
    if mask is None:
        return float(ssim_map.mean())
    return float(ssim_map[np.asarray(mask, dtype=bool)].mean())
