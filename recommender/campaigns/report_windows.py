"""The report's words and windows per wave: each wave's window from its recorded send.

``wave_starts`` gives each counted wave's window (``{wave, start, end, source}``: its recorded
send, ``wave_sends.py``, else an earlier wave's latest recorded send, else the plan's start,
and how much of it has passed at the report's time); ``open_text``, ``late_text``,
``starts_text`` and ``early_text`` are the note's words on them and on plan rows with an
event in the day before their wave's start (``early_conversions``), split from ``report.py``
(at its line bound).
"""

from __future__ import annotations

from typing import Any

from recommender.io.text import iso_utc
from recommender.model.calibration_horizon import DAY

#: what a day of a report's window is, said wherever a window in days is offered (the CLI's
#: --window-days, GET .../report's window_days, the Studio's box, whose text a browser test
#: holds to this one, and the README)
DAY_RULE = ("a day is 86,400 seconds, not a calendar day: across a change of the clocks "
            "(summer time) a window ends at another local time of day than it starts")


def early_text(early: int, dated: bool, sent: bool = False) -> str:
    """The note's word on plan rows whose event is dated in the day before the start: a log of
    dates is told to give times; events with times are not such a log (it said so to them
    too), and the likelier cause is a clock or a plan stored after its messages went out."""
    if not early:
        return ""
    when = "their wave's start (its send, else an earlier wave's, else the plan's creation)" \
        if sent else "the plan was created"
    said = f"; plan rows with an event in the day before {when}, not counted " \
           f"(early_conversions): {early:,}; "
    if dated:
        return said + ("a log of dates puts a day's events at midnight, so responses on the "
                       + ("day a wave was sent fall before its send" if sent else
                          "plan's own day fall before its start") + ": give event times, not "
                       "dates")
    return said + ("those events carry times of day, so this is no log of dates: were the "
                   "messages sent before " + ("the send time recorded for their wave (campaign "
                                              "sent), " if sent else "")
                   + "the plan was stored, or is the events' clock behind the planning "
                   "machine's?")


#: ``wave_starts``' source of a wave counted from the plan's start
PLAN_START = "plan start"


def after_send(wave: int) -> str:
    """``wave_starts``' source of an unrecorded wave counted from wave ``wave``'s send."""
    return f"after wave {wave}'s send"


def wave_starts(sends: dict[int, int], sent: int, begin: int, length: int, as_of: int
                ) -> list[dict[str, Any]]:
    """Each counted wave's window ``{wave, start, end, source, window_elapsed_days,
    window_elapsed_share, window_open}``: from its recorded send (``wave_sends.py``; source
    ``recorded``), else from the latest recorded send of an earlier wave where that is after
    ``begin`` (source ``after wave K's send``: waves go out in order, so a wave without a
    recorded send went out no earlier; from the plan's start it counted events before the only
    send recorded, which ``record_wave_sent`` would refuse as its time), else from ``begin``
    (the plan's start; source ``plan start``); how much of it has passed at ``as_of`` (unix
    seconds: the report's time), in days and as a share 0-1 of the window, and whether it is
    still open."""
    out = []
    floor, source = begin, PLAN_START  # the latest earlier send after begin, and its words
    for w in range(1, sent + 1):
        t, said = (sends[w], "recorded") if w in sends else (floor, source)
        if w in sends and t > floor:  # the waves after it went out no earlier
            floor, source = t, after_send(w)
        passed = min(max(as_of - t, 0), length)
        out.append({"wave": w, "start": t, "end": t + length, "source": said,
                    "window_elapsed_days": round(passed / DAY, 4),
                    "window_elapsed_share": round(passed / length, 4) if length else 1.0,
                    "window_open": as_of < t + length})
    return out


def source_words(start: dict[str, Any]) -> str:
    """A ``wave_starts`` entry's source in words, as the note and ``campaign report`` say it:
    ``its recorded send``, ``no send recorded: from wave 1's send, as waves go out in order``, or
    ``the plan start``."""
    source = str(start["source"])
    if source == "recorded":
        return "its recorded send"
    if source.startswith("after wave "):
        return f"no send recorded: from {source.removeprefix('after ')}, as waves go out in order"
    return "the plan start"


def late_text(late: int, latest: int, as_of: int) -> str:
    """The note's word on ``late`` events of the windows dated after the report's time
    (``as_of``; ``latest``: the last one's time), counted all the same; "" for none."""
    if not late:
        return ""
    return (f"; {late:,} of the events read {'is' if late == 1 else 'are'} dated after the "
            f"report's time ({iso_utc(as_of)}), the latest {iso_utc(latest)}: counted all the "
            "same (events are taken up to a day past the store's clock: a simulator's "
            "responses are dated in the hours after their wave's start; else the events' "
            "clock is ahead of this one)")


def open_text(starts: list[dict[str, Any]], window_days: float) -> str:
    """The note's word on windows still open at the report's time (``wave_starts``), "" when
    every one has closed: observed conversions will grow, and predicted is for the whole."""
    still = [w for w in starts if w["window_open"]]
    if not still:
        return ""
    passed = ", ".join(f"wave {w['wave']} {w['window_elapsed_days']:.4g}" for w in still) \
        if len(starts) > 1 else f"{still[0]['window_elapsed_days']:.4g}"
    return (f"; the window is still open: {passed} of {window_days:g} days passed; observed "
            "conversions will grow; predicted is for the full window")


def starts_text(starts: list[dict[str, Any]]) -> str:
    """The note's word on waves counted from their sends (before the early text: Studio reads
    that one's end)."""
    if not any(w["source"] == "recorded" for w in starts):
        return ""
    return ("; each wave's conversions counted from its own start: " + ", ".join(
        f"wave {w['wave']} from {iso_utc(w['start'])}"
        f" ({source_words(w)})"
        for w in starts))
