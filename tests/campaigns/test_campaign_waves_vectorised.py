"""The vectorised wave and control assignment against the per-(film, wave) loop it replaced.

``old_assign`` below is the planner's assignment as it was (one Python pass per film and one
per wave, kept here as the oracle): the new one must give every seeded plan the same order,
waves and control groups, byte for byte, and count the controls of every (film, wave) in one
call instead of two per wave.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from recommender.campaigns import waves as waves_module
from recommender.campaigns.waves import assign, control_mask, controls_upto, wave_of


def old_control_mask(wave: NDArray[np.int16], holdout: float, seed: int, film: int,
                     offset: int = 0, phase: float = 0.5) -> NDArray[np.bool_]:
    """The per-wave loop as it was."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(film)]))
    out = np.zeros(len(wave), bool)
    if holdout <= 0 or len(wave) == 0:
        return out
    starts = np.r_[0, np.flatnonzero(np.diff(wave)) + 1]
    ends = np.r_[starts[1:], len(wave)]
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        k = int(controls_upto(offset + e, holdout, phase)
                - controls_upto(offset + s, holdout, phase))
        if k:
            out[s + rng.choice(e - s, size=k, replace=False)] = True
    return out


def old_assign(film_pos: NDArray[np.int64], rank: NDArray[np.int64], films: NDArray[np.int64],
               waves: int, holdout: float, seed: int, offsets: NDArray[np.int64] | None = None,
               phases: NDArray[np.float64] | None = None
               ) -> tuple[NDArray[np.int64], NDArray[np.int16], NDArray[np.bool_]]:
    """The per-film loop as it was."""
    order = np.lexsort((rank, film_pos))
    fp = film_pos[order]
    wave = np.zeros(len(order), np.int16)
    control = np.zeros(len(order), bool)
    starts = np.r_[0, np.flatnonzero(np.diff(fp)) + 1] if len(fp) else np.zeros(0, np.int64)
    ends = np.r_[starts[1:], len(fp)] if len(fp) else np.zeros(0, np.int64)
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        wave[s:e] = wave_of(e - s, waves)
        control[s:e] = old_control_mask(wave[s:e], holdout, seed, int(films[fp[s]]),
                                        0 if offsets is None else int(offsets[fp[s]]),
                                        0.5 if phases is None else float(phases[fp[s]]))
    return order, wave, control


SHAPES = [  # (films, users per film at most, waves)
    (1, 0, 3), (1, 1, 3), (1, 1, 1), (3, 1, 5), (1, 2, 3), (1, 101, 3), (1, 1020, 1000),
    (7, 40, 3), (200, 30, 4), (50, 300, 17), (30, 5, 1000), (400, 3, 2),
]


@pytest.mark.parametrize(("films", "most", "waves"), SHAPES)
@pytest.mark.parametrize("holdout", [0.0, 0.01, 0.1, 1 / 3, 0.5, 0.9])
def test_assign_is_the_old_loop_byte_for_byte(films: int, most: int, waves: int,
                                              holdout: float) -> None:
    rng = np.random.default_rng(films * 1000 + most + waves)
    sizes = rng.integers(0, most + 1, films) if films > 1 else np.array([most])
    film_pos = rng.permutation(np.repeat(np.arange(films), sizes)).astype(np.int64)
    rank = rng.permutation(len(film_pos)).astype(np.int64)
    film_ids = rng.choice(10**6, films, replace=False).astype(np.int64)
    for seed, offsets, phases in [
            (0, None, None), (2**33 + 5, None, None),
            (7, rng.integers(0, 50, films), rng.random(films)),
            (11, np.zeros(films, np.int64), np.full(films, np.nextafter(1.0, 0.0)))]:
        got = assign(film_pos, rank, film_ids, waves, holdout, seed, offsets, phases)
        want = old_assign(film_pos, rank, film_ids, waves, holdout, seed, offsets, phases)
        for g, w in zip(got, want, strict=True):
            assert g.dtype == w.dtype and g.tobytes() == w.tobytes()


@pytest.mark.parametrize("n", [0, 1, 2, 33, 500])
def test_control_mask_is_the_old_loop(n: int) -> None:
    for waves in (1, 3, 1000):
        for holdout in (0.0, 0.25, 0.9):
            for offset, phase in ((0, 0.5), (13, 0.02)):
                wave = wave_of(n, waves)
                got = control_mask(wave, holdout, 3, 8, offset, phase)
                assert got.tobytes() == old_control_mask(wave, holdout, 3, 8, offset,
                                                         phase).tobytes()


def test_control_counts_take_one_call_whatever_the_waves(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """The old loop called ``controls_upto`` twice per (film, wave): 2 x 300 x 4 here."""
    calls = []
    real = waves_module.controls_upto

    def counted(*args: object, **kwargs: object) -> NDArray[np.int64]:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(waves_module, "controls_upto", counted)
    film_pos = np.repeat(np.arange(300), 20).astype(np.int64)
    _, _, control = assign(film_pos, np.arange(len(film_pos)), np.arange(300), 4, 0.2, 1)
    assert int(control.sum()) == 300 * 4  # 5 users a wave, one control each
    assert len(calls) <= 2
