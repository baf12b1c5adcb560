"""The two-stage CNN + PINN of Yang et al. (IEEE SPL 2025) for EIT.

Stage 1 (:mod:`~pinn_inverse.eit.cnn_pinn.unet_stage`): a U-Net maps the boundary voltage
differences ΔV to the internal potential image U.
"""

from .unet_stage import PRESETS as UNET_PRESETS
from .unet_stage import UNetConfig, UNetStage, train_unet

__all__ = ["UNET_PRESETS", "UNetConfig", "UNetStage", "train_unet"]

# Stage 2 (sigma_pinn, problem): the σ-PINN trained on U with the loss of eq. (2);
# cnn_pinn() builds both stages.
from .problem import CNNPINN, Preset, cnn_pinn  # noqa: E402
from .problem import PRESETS as SIGMA_PRESETS  # noqa: E402
from .sigma_pinn import TERMS  # noqa: E402

__all__ += ["CNNPINN", "SIGMA_PRESETS", "TERMS", "Preset", "cnn_pinn"]
