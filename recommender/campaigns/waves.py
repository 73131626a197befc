"""Waves and control groups: selected users released best first, a random share held out.

A film's selected users, sorted by their rank in its audience, are cut into ``waves``
consecutive slices as equal as possible (wave 1, the best-ranked users, gets the extra users;
waves are not the audience's tiers), and in
every wave users drawn at random form the control group (never contacted for that film): the
first ``w`` waves together hold ``floor(holdout x their users + phase)`` controls, so each wave
holds its share to within one user and the film's control group is ``holdout x selected`` to
within one user whatever the wave sizes: stratified by wave, and so by rank. (Rounding each
wave on its own gave waves of one or two users none, or only, controls: a holdout of 0.5 over
1,000 waves held out 98% of the selected users.)

``phase`` is the film's own, in [0, 1), from a hash of its id (``rounding_phases``). A wave
whose share is under one user holds a control with probability that share, whichever wave it
is. (With one phase of 1/2 for every film, the waves that rounding leaves without a control
were the same ones in every film, the last, worst-ranked: at a budget of 20, 3 waves and a
holdout of 0.1, wave 3 of every film, so a campaign report could never measure a wave 3.) It
depends on the film id alone, not on the seed, so a next wave continues the rounding of the
campaign's sent waves whatever seed it draws with. The draw of the users is seeded by
``(seed, film)``: the same seed gives the same groups, another seed other groups, and a film's
groups do not depend on the rest of the slate.

A film's budget counts its target rows (contacts); the control group comes on top of it.
``selection_size`` turns a budget into the number of users to select: the largest ``n`` whose
waves leave at most ``budget`` targets (``target_rows``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

Phase = NDArray[np.float64] | float
MAX_SELECTION = 2**40  # the largest budget selection sizes are computed for (users)


def wave_of(n: int, waves: int) -> NDArray[np.int16]:
    """Wave (1-based) of each of ``n`` users sorted best first: ``waves`` slices whose sizes
    differ by at most one, the earlier ones larger."""
    waves = max(1, min(waves, max(n, 1)))
    base, extra = divmod(n, waves)
    sizes = np.full(waves, base, np.int64)
    sizes[:extra] += 1
    return np.repeat(np.arange(1, waves + 1, dtype=np.int16), sizes)


def rounding_phases(film_ids: Sequence[str]) -> NDArray[np.float64]:
    """Each film's rounding phase in [0, 1): the first 8 bytes of the BLAKE2b hash of its id
    (UTF-8), over 2^64. The same id gives the same phase in every plan, process and engine."""
    out = np.empty(len(film_ids), np.float64)
    for i, f in enumerate(film_ids):  # one hash per film of the slate, not per user
        digest = hashlib.blake2b(f.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        out[i] = int.from_bytes(digest, "big") / 2.0**64
    return np.minimum(out, np.nextafter(1.0, 0.0))  # 2^64 - 1 over 2^64 rounds to 1.0


def controls_upto(users: NDArray[np.int64] | int, holdout: float, phase: Phase = 0.5
                  ) -> NDArray[np.int64]:
    """Controls among the first ``users`` selected users (the waves up to a cut):
    ``floor(holdout x users + phase)`` less ``floor(phase)`` (none before the first user);
    a wave's are the difference at its two ends."""
    if holdout <= 0:
        return np.zeros_like(np.asarray(users, np.int64))
    ph = np.asarray(phase, np.float64)
    return (np.floor(holdout * np.asarray(users, np.float64) + ph)
            - np.floor(ph)).astype(np.int64)


def target_rows(n: NDArray[np.int64] | int, waves: int, holdout: float,
                offset: NDArray[np.int64] | int = 0, phase: Phase = 0.5) -> NDArray[np.int64]:
    """Target rows ``assign`` leaves among ``n`` selected users of one film (elementwise):
    ``n`` minus its controls, ``controls_upto(offset + n) - controls_upto(offset)``, whatever
    ``waves`` (the waves' controls add up to it). ``offset``: the film's users the campaign
    selected in the sent waves of earlier plans (a next wave continues their rounding, so the
    campaign's control group stays ``holdout x selected`` to within one user however it is
    sent). It never decreases as ``n`` grows (by 0 or 1 per user). ``phase``: the film's (see
    the module docstring)."""
    n = np.asarray(n, np.int64)
    o = np.asarray(offset, np.int64)
    return np.asarray(n - (controls_upto(o + n, holdout, phase)
                           - controls_upto(o, holdout, phase)), np.int64)


def selection_size(budget: int, waves: int, holdout: float, offset: int = 0,
                   phase: float = 0.5) -> int:
    """The most users a film with ``budget`` target contacts may select, its control group
    included: the largest ``n`` with ``target_rows(n, offset=offset) <= budget`` (0 for a
    budget of 0: a film without contacts has no control group either)."""
    return int(selection_sizes(np.array([budget], np.int64), waves, holdout,
                               np.array([offset], np.int64), np.array([phase]))[0])


def selection_sizes(budgets: NDArray[np.int64], waves: int, holdout: float,
                    offsets: NDArray[np.int64] | None = None,
                    phases: NDArray[np.float64] | None = None) -> NDArray[np.int64]:
    """``selection_size`` of every budget (``offsets`` and ``phases``: each film's, default 0
    and 1/2): a bisection on ``target_rows`` (non-decreasing), all budgets at once, between
    ``budget`` and ``(budget + 1) / (1 - holdout) + 2`` (``target_rows(n) >= (1 - holdout) n
    - 1``, as the controls are fewer than ``holdout x n + 1``)."""
    # a budget past MAX_SELECTION users selects as if it were that (no log has more users),
    # and the upper end stays below 2**53 (exact in float64), so nothing overflows
    b = np.minimum(np.asarray(budgets, np.int64), MAX_SELECTION)
    o = np.zeros(len(b), np.int64) if offsets is None else np.asarray(offsets, np.int64)
    ph = np.full(len(b), 0.5) if phases is None else np.asarray(phases, np.float64)
    if holdout <= 0:
        return b.copy()
    lo = b.copy()  # target_rows(lo) <= lo = budget
    hi = np.minimum(np.floor((b + 1.0) / (1.0 - holdout)), float(2**52)).astype(np.int64) + 2
    while True:  # invariant: target_rows(lo) <= budget < target_rows(hi)
        open_ = hi - lo > 1
        if not open_.any():
            break
        mid = (lo + hi) // 2
        ok = target_rows(mid, waves, holdout, o, ph) <= b
        lo = np.where(open_ & ok, mid, lo)
        hi = np.where(open_ & ~ok, mid, hi)
    return np.where(b > 0, lo, 0)


def control_mask(wave: NDArray[np.int16], holdout: float, seed: int, film: int,
                 offset: int = 0, phase: float = 0.5) -> NDArray[np.bool_]:
    """True for the users drawn into the control group: in each wave, ``controls_upto`` at
    its end less at its start of its users (counted after the film's ``offset``, at its
    ``phase``, see ``target_rows``), uniformly at random (``film_controls`` of one film)."""
    wave = np.asarray(wave, np.int16)
    return film_controls(np.zeros(len(wave), np.int64), wave, np.array([film], np.int64),
                         holdout, seed, np.array([offset], np.int64),
                         np.array([phase], np.float64))


def film_waves(fp: NDArray[np.int64], waves: int) -> NDArray[np.int16]:
    """``wave_of`` of every film's rows at once: ``fp`` sorted, each film's rows in rank
    order."""
    n = len(fp)
    if n == 0:
        return np.zeros(0, np.int16)
    starts = np.r_[0, np.flatnonzero(np.diff(fp)) + 1]
    sizes = np.diff(np.r_[starts, n])
    first = np.repeat(starts, sizes)
    size = np.repeat(sizes, sizes)
    pos = np.arange(n, dtype=np.int64) - first
    w = np.minimum(max(waves, 1), size)  # a film of n users has min(waves, n) waves
    base, extra = size // w, size % w
    big = extra * (base + 1)  # the rows of the earlier, larger waves
    out = np.where(pos < big, pos // (base + 1),
                   extra + (pos - big) // np.maximum(base, 1)) + 1
    return out.astype(np.int16)


def film_controls(fp: NDArray[np.int64], wave: NDArray[np.int16], films: NDArray[np.int64],
                  holdout: float, seed: int, offsets: NDArray[np.int64],
                  phases: NDArray[np.float64]) -> NDArray[np.bool_]:
    """``control_mask`` of every film's rows (``fp`` sorted: position in ``films``,
    ``offsets`` and ``phases``; ``wave`` within each film): every (film, wave)'s count of
    controls in one ``controls_upto`` call, then only the draws themselves one per
    (film, wave) that holds a control, from the film's generator seeded by ``(seed, film)``
    in wave order (as one call per film drew them: the same users, byte for byte)."""
    n = len(fp)
    out = np.zeros(n, bool)
    if holdout <= 0 or n == 0:
        return out
    cut = np.flatnonzero((np.diff(fp) != 0) | (np.diff(wave) != 0)) + 1
    s = np.r_[0, cut]
    e = np.r_[cut, n]
    film_start = np.r_[0, np.flatnonzero(np.diff(fp)) + 1]
    first = np.repeat(film_start, np.diff(np.r_[film_start, n]))[s]  # each segment's film row
    f = fp[s]
    o = np.asarray(offsets, np.int64)[f]
    ph = np.asarray(phases, np.float64)[f]
    k = controls_upto(o + (e - first), holdout, ph) - controls_upto(o + (s - first), holdout, ph)
    draw = np.flatnonzero(k > 0)
    if not len(draw):
        return out
    film_of = f[draw].tolist()
    rng: np.random.Generator | None = None
    current = -1
    for fi, a, b, m in zip(film_of, s[draw].tolist(), e[draw].tolist(), k[draw].tolist(),
                           strict=True):  # the draws alone, in each film's generator's order
        if fi != current:
            current = fi
            rng = np.random.default_rng(np.random.SeedSequence(
                [int(seed) & 0xFFFFFFFF, int(films[fi])]))
        assert rng is not None
        out[a + rng.choice(b - a, size=m, replace=False)] = True
    return out


def assign(film_pos: NDArray[np.int64], rank: NDArray[np.int64], films: NDArray[np.int64],
           waves: int, holdout: float, seed: int, offsets: NDArray[np.int64] | None = None,
           phases: NDArray[np.float64] | None = None
           ) -> tuple[NDArray[np.int64], NDArray[np.int16], NDArray[np.bool_]]:
    """Order selected contacts by (film, rank) and give each a wave and a group.

    ``film_pos`` indexes ``films`` (the slate's film indices, used in the seed), ``offsets``
    (each film's ``target_rows`` offset, default 0) and ``phases`` (each film's rounding
    phase, default 1/2). Returns (the order, wave,
    control) with ``wave`` and ``control`` aligned to the ordered rows: waves and control
    counts for every film at once (``film_waves``, ``film_controls``)."""
    order = np.lexsort((rank, film_pos))
    fp = np.asarray(film_pos, np.int64)[order]
    wave = film_waves(fp, waves)
    m = len(films)
    control = film_controls(fp, wave, np.asarray(films, np.int64), holdout, seed,
                            np.zeros(m, np.int64) if offsets is None else offsets,
                            np.full(m, 0.5) if phases is None else phases)
    return order, wave, control


def row_groups(key: NDArray[np.int64]) -> list[NDArray[np.int64]]:
    """The row indices of each value of ``key`` (ascending), each group in row order: one
    stable sort (a report's pass over every row per wave, ``key == x``, was waves x rows:
    4 s for 1,000 waves of 800k rows)."""
    order = np.argsort(key, kind="stable")
    return [r for r in np.split(order, np.flatnonzero(np.diff(key[order])) + 1) if len(r)]
