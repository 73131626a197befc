"""Brute-force oracles of the campaign planner's budget rule, shared by the campaign tests.

A film's budget counts target rows; the planner may select the largest ``n`` users whose waves
(``waves`` slices as equal as possible, the earlier ones larger) leave at most ``budget``
targets once the controls are drawn: the first ``w`` waves together hold
``floor(holdout x their users + phase)`` of them (``phase``: the film's, in [0, 1); 1/2 rounds
to nearest). Written from that rule alone, wave by wave, without the library's ``waves``
module (the phase of a film id is the library's ``rounding_phases``)."""

from __future__ import annotations

import hashlib
import math


def brute_wave_controls(sizes: list[int], holdout: float, before: int = 0,
                        phase: float = 0.5) -> list[int]:
    """Controls of each wave of ``sizes`` users: the first ``w`` waves together hold
    ``floor(holdout x their users + phase)``, counting ``before`` users selected earlier (a
    next wave continues the sent waves' rounding) and less their controls."""
    out = []
    for s in sizes:
        upto = int(math.floor(holdout * (before + s) + phase)) if holdout > 0 else 0
        done = int(math.floor(holdout * before + phase)) if holdout > 0 else 0
        out.append(upto - done)
        before += s
    return out


def brute_targets(n: int, waves: int, holdout: float, before: int = 0, phase: float = 0.5
                  ) -> int:
    """Target rows among ``n`` selected users, wave by wave (``before``, ``phase``: see
    above)."""
    k = max(1, min(waves, max(n, 1)))
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    return n - sum(brute_wave_controls(sizes, holdout, before, phase))


def brute_selection_sizes(budgets: list[int], waves: int, holdout: float, before: int = 0,
                          phase: float = 0.5) -> list[int]:
    """For each budget, the largest ``n`` with ``brute_targets(n) <= budget`` (0 for a budget
    of 0), by one scan up to a size whose targets certainly exceed every budget (the waves
    hold fewer than ``holdout x n + 1`` controls in all, so targets > (1 - holdout) n - 1)."""
    if not budgets:
        return []
    top = int((max(budgets) + 2) / (1.0 - holdout)) + 2
    targets = [brute_targets(n, waves, holdout, before, phase) for n in range(top + 1)]
    assert targets[top] > max(budgets)
    return [0 if b == 0 else max(n for n, t in enumerate(targets) if t <= b) for b in budgets]


def brute_selection_size(budget: int, waves: int, holdout: float, phase: float = 0.5) -> int:
    """``brute_selection_sizes`` of one budget."""
    return brute_selection_sizes([budget], waves, holdout, phase=phase)[0]


def brute_phase(film_id: str) -> float:
    """A film's rounding phase as the planner documents it: the first 8 bytes of the BLAKE2b
    hash of its id's UTF-8, big-endian, over 2^64."""
    digest = hashlib.blake2b(film_id.encode("utf-8"), digest_size=8).digest()
    return min(int.from_bytes(digest, "big") / 2.0**64, math.nextafter(1.0, 0.0))
