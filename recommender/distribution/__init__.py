"""Smart distribution: a film's expected demand by place, and how to share out screens.

``demand`` sums the calibrated probabilities of a film's non-viewers by place (region, city,
cinema, ZIP zone); ``screens`` rounds a proportional allocation to whole screens; ``slate``
shares each cinema's screens among films opening together (a small integer programme).
"""
