"""Offline evaluation: splits, metrics, baselines, tuning and reports."""
