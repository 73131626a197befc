"""Slate planning: calibrated candidate probabilities, the exact allocation, waves, the store."""
