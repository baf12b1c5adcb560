"""EAND-ARN (Zhu, Bilchick & Xie) as a DeepXDE problem: u(s, t), v(s, t) on the heart from
body-surface potentials.

The factory :func:`eand_arn` (:mod:`.problem`) builds, in the order of a DeepXDE script: the
scales, the fixed operators (transfer matrix ``R``, mesh Laplacian) as backend tensors, one
physics object for the derivative scheme, a :class:`.MeshTimeData` whose batches are whole
frames with their temporal neighbours, a network of Table I (an adaptive ResNet, eq. 11) and a
:class:`~pinn_inverse.training.Trainer`; :func:`ep_dl` the EP-DL baseline (feed-forward net,
AD).

- :mod:`.physics`: the Aliev-Panfilov residuals (eqs. 6-8) and the schemes ``ad``,
  ``nd_space``, ``nd``;
- :mod:`.data`: the mesh × time ``dde.data.Data`` and its sampler;
- :mod:`.presets`: the default recipe and its ``quick()`` variant.
"""

from .data import Batch, MeshTimeData
from .physics import AD, SCHEMES, STND, NDSpace, residuals, total_curvature, vertex_normals
from .presets import PRESETS, Preset
from .problem import DERIVATIVES, EANDARN, EP_DL_NET, eand_arn, ep_dl

__all__ = [
    "AD",
    "DERIVATIVES",
    "EANDARN",
    "EP_DL_NET",
    "PRESETS",
    "SCHEMES",
    "STND",
    "Batch",
    "MeshTimeData",
    "NDSpace",
    "Preset",
    "eand_arn",
    "ep_dl",
    "residuals",
    "total_curvature",
    "vertex_normals",
]
