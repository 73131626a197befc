"""``campaign report``'s notes and warnings said once per kind, naming the blocks they concern."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recommender.campaigns.small_groups import (
    APPROXIMATE,
    FEW_IN_GROUP,
    LOPSIDED_WIDTH,
    SmallGroupsWarning,
    small_groups_kind,
)

#: a report block's place: ("overall" | "wave" | "film", film id or None, wave or None)
Place = tuple[str, str | None, int | None]

_FEW = {(True, False): f"fewer than {FEW_IN_GROUP} targets",
        (False, True): f"fewer than {FEW_IN_GROUP} controls",
        (True, True): f"fewer than {FEW_IN_GROUP} targets and fewer than {FEW_IN_GROUP} "
                      "controls"}


def _runs(waves: Sequence[int]) -> str:
    """Wave numbers, consecutive ones as a range: ``1-3, 5``."""
    out: list[str] = []
    ws = sorted(set(waves))
    i = 0
    while i < len(ws):
        j = i
        while j + 1 < len(ws) and ws[j + 1] == ws[j] + 1:
            j += 1
        out.append(str(ws[i]) if j == i else f"{ws[i]}-{ws[j]}" if j > i + 1
                   else f"{ws[i]}, {ws[j]}")
        i = j + 1
    return ", ".join(out)


def _waves_word(waves: Sequence[int]) -> str:
    return f"wave{'s' if len(waves) > 1 else ''} {_runs(waves)}"


def places_text(places: Sequence[Place], film_waves: dict[str, list[int]]) -> str:
    """The blocks ``places`` compactly: ``overall; waves 1-3; film A and each of its waves;
    wave 2 of film B`` (``film_waves``: every film's waves in the report, in its order)."""
    parts = ["overall"] if any(k == "overall" for k, _, _ in places) else []
    waves = [w for k, f, w in places if k == "wave" and w is not None]
    if waves:
        parts.append(_waves_word(waves))
    # films alike said together: (film block, its waves flagged: None for all of them)
    alike: dict[tuple[bool, tuple[int, ...] | None], list[str]] = {}
    for film, all_waves in film_waves.items():
        block = any(k == "film" and f == film and w is None for k, f, w in places)
        its = sorted(w for k, f, w in places if k == "film" and f == film and w is not None)
        if block or its:
            whole = bool(all_waves) and its == sorted(all_waves)
            alike.setdefault((block, None if whole else tuple(its)), []).append(film)
    for (block, flagged), films in alike.items():
        every = len(films) == len(film_waves) and len(films) > 1
        named = ("every film" if every else
                 f"film{'s' if len(films) > 1 else ''} {', '.join(films)}")
        their = "its" if len(films) == 1 or every else "their"
        if flagged is None and not block:  # the films' own blocks are not among them
            parts.append(f"each wave of {named}")
        elif flagged is None:
            parts.append(f"{named} and each of {'its' if every else their} waves")
        elif block and flagged:
            parts.append(f"{named} and {their} {_waves_word(flagged)}")
        elif block:
            parts.append(named)
        else:
            parts.append(f"{_waves_word(flagged)} of {named}")
    return "; ".join(parts)


def block_name(place: Place) -> str:
    """The block's name in the report's table: ``overall``, ``wave 2``, ``film A``, ``film A
    wave 2``."""
    kind, film, wave = place
    return ("overall" if kind == "overall" else f"wave {wave}" if kind == "wave"
            else f"film {film}" if wave is None else f"film {film} wave {wave}")


def _sizes(said: str) -> str | None:
    """``targets 8, controls 2.67``: the measured targets and the controls (effective over
    the block's (film, wave) strata when more than one, as the warning says them) its warning
    was made of; None for a warning that does not carry them (a plain string)."""
    sizes = said.sizes if isinstance(said, SmallGroupsWarning) else None
    if sizes is None:
        return None
    targets, controls, strata = sizes
    # 3 significant digits for an effective size (2.67), whole controls past 100: few targets
    # may face many controls (a holdout near 0.99), which .3g and g wrote 1.23e+03, 2.5e+06
    shown = f"{controls:.3g}" if strata > 1 and controls < 100 else f"{controls:,.0f}"
    return f"targets {targets:,}, controls {shown}"


def sized_places(warned: Sequence[tuple[Place, str]], film_waves: dict[str, list[int]]) -> str:
    """The blocks of ``warned`` (place, warning) with the sizes each warning was made of,
    blocks of equal sizes named together: ``overall (targets 48, controls 6), waves 1-3
    (targets 16, controls 2), every film (targets 24, controls 3)``; the blocks whose warning
    carries no sizes named alone, as ``places_text`` does (the --json body has them)."""
    groups: dict[str | None, list[Place]] = {}
    for place, said in warned:
        groups.setdefault(_sizes(said), []).append(place)
    return ", ".join(places_text(places, film_waves).replace("; ", " and ")
                     + (f" ({sizes})" if sizes else "") for sizes, places in groups.items()) \
        if list(groups) != [None] else places_text([p for p, _ in warned], film_waves)


def grouped_notes(blocks: Sequence[tuple[Place, dict[str, Any]]]) -> list[str]:
    """The report's notes and warnings, one line per kind, naming the blocks each concerns
    (a plan of 2 films x 3 waves of few controls printed the same warning 12 times, one a
    line), a block's ``no_estimate`` once per reason (its n/a had no word why); each block's
    counts are its row's in the table, its effective controls in ``--json``
    (``control_effective_size``)."""
    film_waves: dict[str, list[int]] = {}
    for (kind, film, wave), _ in blocks:
        if kind == "film" and film is not None:
            film_waves.setdefault(film, [])
            if wave is not None:
                film_waves[film].append(wave)
    notes: list[Place] = []
    unmeasured: dict[str, list[Place]] = {}  # no estimate: each reason's blocks
    few: dict[tuple[bool, bool], list[tuple[Place, str]]] = {}
    lopsided: list[tuple[Place, str]] = []
    for place, b in blocks:
        if b.get("note"):
            notes.append(place)
        if b.get("no_estimate"):
            unmeasured.setdefault(str(b["no_estimate"]), []).append(place)
        if b.get("split_warning"):
            lopsided.append((place, b["split_warning"]))
        said = b.get("warning")
        if said:
            few.setdefault(small_groups_kind(said), []).append((place, said))
    lines = []
    if notes:
        lines.append(f"note: in {places_text(notes, film_waves)}: some targets are in waves of "
                     "a film with no control group (its rounding gave that wave none); rates "
                     "and uplift compare the others with the controls of their own film and "
                     "wave (the target rate's counts say how many)")
    # why a block's control rate and uplift read n/a (--json's no_estimate), once per reason
    lines += [f"note: in {places_text(places, film_waves)}: {why}"
              for why, places in unmeasured.items()]
    for kind_of, warned in few.items():
        n = len(warned)
        how = ("; " + "; ".join(w for w, on in zip(
            ("targets: those compared with controls of their film and wave",
             "controls: a block over several (film, wave) strata counts their effective size, "
             "--json's control_effective_size"), kind_of, strict=True) if on))
        lines.append(f"warning: {_FEW.get(kind_of, 'few in a group')} in "
                     f"{n} block{'s' if n != 1 else ''} ({sized_places(warned, film_waves)}"
                     f"{how}): {APPROXIMATE}")
    if lopsided:  # the first block's own figures (the overall's when it is one of them)
        n, (first, said) = len(lopsided), lopsided[0]
        lines.append(f"warning: a split of targets and controls far from even in {n} block"
                     f"{'s' if n != 1 else ''} ({places_text([p for p, _ in lopsided], film_waves)}"
                     f"): {'their uplift intervals are' if n != 1 else 'its uplift interval is'}"
                     f" {LOPSIDED_WIDTH:g}x or more as wide as an even split of the same rows "
                     "would give; "
                     + (f"{places_text([first], film_waves)}: " if n > 1 else "") + said)
    return lines
