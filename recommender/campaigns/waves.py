"""Waves and control groups: selected users released best first, a random share held out.

A film's selected users, sorted by their rank in its audience, are cut into ``waves``
consecutive slices as equal as possible (wave 1, the core ring, gets the extra users), and in
every wave ``round(holdout x wave size)`` users drawn at random form the control group (never
contacted for that film), so the control group has the wave's share in every wave: stratified
by wave, and so by rank. The draw is seeded by ``(seed, film)``: the same seed gives the same
groups, another seed other groups, and a film's groups do not depend on the rest of the slate.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def wave_of(n: int, waves: int) -> NDArray[np.int16]:
    """Wave (1-based) of each of ``n`` users sorted best first: ``waves`` slices whose sizes
    differ by at most one, the earlier ones larger."""
    waves = max(1, min(waves, max(n, 1)))
    base, extra = divmod(n, waves)
    sizes = np.full(waves, base, np.int64)
    sizes[:extra] += 1
    return np.repeat(np.arange(1, waves + 1, dtype=np.int16), sizes)


def control_mask(wave: NDArray[np.int16], holdout: float, seed: int, film: int
                 ) -> NDArray[np.bool_]:
    """True for the users drawn into the control group: in each wave,
    ``floor(holdout x size + 1/2)`` of its users, uniformly at random."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(film)]))
    out = np.zeros(len(wave), bool)
    if holdout <= 0 or len(wave) == 0:
        return out
    starts = np.r_[0, np.flatnonzero(np.diff(wave)) + 1]
    ends = np.r_[starts[1:], len(wave)]
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):  # one draw per wave
        k = int(np.floor(holdout * (e - s) + 0.5))
        if k:
            out[s + rng.choice(e - s, size=k, replace=False)] = True
    return out


def assign(film_pos: NDArray[np.int64], rank: NDArray[np.int64], films: NDArray[np.int64],
           waves: int, holdout: float, seed: int
           ) -> tuple[NDArray[np.int64], NDArray[np.int16], NDArray[np.bool_]]:
    """Order selected contacts by (film, rank) and give each a wave and a group.

    ``film_pos`` indexes ``films`` (the slate's film indices, used in the seed). Returns
    (the order, wave, control) with ``wave`` and ``control`` aligned to the ordered rows."""
    order = np.lexsort((rank, film_pos))
    fp = film_pos[order]
    wave = np.zeros(len(order), np.int16)
    control = np.zeros(len(order), bool)
    starts = np.r_[0, np.flatnonzero(np.diff(fp)) + 1] if len(fp) else np.zeros(0, np.int64)
    ends = np.r_[starts[1:], len(fp)] if len(fp) else np.zeros(0, np.int64)
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):  # one pass per film
        wave[s:e] = wave_of(e - s, waves)
        control[s:e] = control_mask(wave[s:e], holdout, seed, int(films[fp[s]]))
    return order, wave, control
