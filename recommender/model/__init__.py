"""The trained model: weighting, training, calibration, segments and the on-disk artifact."""
