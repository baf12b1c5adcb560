"""The two-stage CNN + PINN of Yang et al. (IEEE SPL 2025) for EIT.

Stage 1 (:mod:`~pinn_inverse.eit.cnn_pinn.unet_stage`): a U-Net maps the boundary voltage
differences ΔV to the internal potential image U.
"""

from .unet_stage import PRESETS as UNET_PRESETS
from .unet_stage import UNetConfig, UNetStage, train_unet

__all__ = ["UNET_PRESETS", "UNetConfig", "UNetStage", "train_unet"]
