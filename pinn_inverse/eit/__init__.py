"""EIT: complete-electrode forward model, phantoms, datasets and classical reconstructions."""
