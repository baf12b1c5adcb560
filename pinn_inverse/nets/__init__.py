"""Networks with one constructor on every supported DeepXDE backend.

Importing this package imports DeepXDE, so choose the backend first (``DDE_BACKEND`` or
:func:`pinn_inverse.backend.set_backend`).
"""

from .siren import SIREN

__all__ = ["SIREN"]

from .adaptive_resnet import TABLE_I, AdaptiveResNet, NetConfig, build_net  # noqa: E402

__all__ += ["TABLE_I", "AdaptiveResNet", "NetConfig", "build_net"]

from .unet import UNet  # noqa: E402

__all__ += ["UNet"]

from .residual_mlp import ResidualMLP  # noqa: E402

__all__ += ["ResidualMLP"]
