"""Whether a campaign's places convert more unevenly than one rate per film and wave allows.

Every interval of the report (``report.py``) treats each plan row's response as an
independent draw. A shock shared by a place (a city's weather, a holiday, a cinema closing)
moves its targets and controls together, and then the absolute uplift's and the target rate's
intervals no longer hold the value a repeat of the campaign would give (the measurement:
``benchmarks/results/intervals.md``; the relative uplift's held). This check says when the
report's own data show such a shock; it changes no interval.

Places: the first place attribute (``io.places.PLACE_ATTRIBUTES``: region, then city, cinema,
zip_zone) that the given model's users have, read from the model's user table by each plan
row's user id; a user the model does not know, or whose value is blank, is in no place and is
left out (``unplaced_rows``; the note counts those erased, their id now a tombstone). Rows:
the report's measured ones (the (film, wave) strata holding both targets and controls), the
controls and the targets tested apart.

For each arm, each place ``i`` has ``x_i`` conversions among ``n_i`` rows. The null: a row's
probability depends on its stratum alone. Conditioning on each stratum's conversions ``K_s``
among its ``N_s`` rows (its rate ``p_s = K_s / N_s`` estimated from the arm's placed rows, so a
mix of films with different rates does not read as a shock), the conversions of stratum ``s``
fall on its places as a multivariate hypergeometric draw: ``x_i`` expects ``e_i = sum_s n_is
p_s``, and the places' counts have the covariance ``V = sum_s c_s (N_s diag(n_s) - n_s
n_s')`` with ``c_s = K_s (N_s - K_s) / (N_s^2 (N_s - 1))``. Places expected to convert fewer
than 5 rows, or to leave fewer than 5 unconverted, are pooled into one group (and, while that
pool is itself under 5 either way, the next smallest place with it). The statistic ``Q = (x
- e)' V^+ (x - e)`` over the groups (``V^+`` the pseudo-inverse: the counts sum to the
strata's totals, so ``V`` has rank at most ``G - 1``) is the generalized Cochran-Mantel-
Haenszel statistic of the strata's 2 x G tables (Landis, Heyman & Koch 1978, "general
association"), referred to chi-square on ``rank(V)`` degrees of freedom; a group whose rows
all lie in strata of rate 0 or 1 carries no information and is not counted. With one stratum
it is ``(N - 1) / N`` times Pearson's chi-square of the 2 x G table
(``scipy.stats.chi2_contingency``). Where places' shares differ between strata, the
covariance between places is what makes it exact: the sum of ``(x_i - e_i)^2 / v_i`` with
each place's own variance (this check before) has a mean below ``G - 1`` there and missed
shocks it could see. ``phi = Q / df`` is the dispersion factor: 1 on average where places vary
as independent draws do, 2 where their conversions vary twice as much. Places whose users
differ in their ``p`` within a film (a film's fans living in one region) fire it too, a stable
difference it cannot tell from a shock (``benchmarks/bench_intervals.py`` measures both).

The model is the caller's (``campaign report --model``, the served one over HTTP); one that is
not the plan's (its ``model_version`` differs) is said in ``model_warning``, naming both
versions and counting the plan's users (of the reported rows) it does not know: another
model's users are in no place, and the check then read "too few conversions", nothing saying
why.

Beyond chance: an arm's p-value below ``LEVEL`` (0.01) divided by the arms tested (Bonferroni:
the whole check's false alarms at most 1 in 100 reports of a campaign without any shock). 1%,
not 5%: the warning tells a reader the absolute figures do not forecast a repeat, and one
raised on 1 report in 20 with nothing wrong would teach readers to pass it by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from scipy import stats

from recommender.io.places import PLACE_ATTRIBUTES
from recommender.model.model import Model

LEVEL = 0.01
MIN_EXPECTED = 5.0
ASSUME = "README.md, Closing the loop: What the intervals assume"
_ARMS = ("controls", "targets")


@dataclass(frozen=True)
class PlaceCounts:
    """Per place of one arm: rows, conversions, expected conversions and their variance
    under independent responses at each stratum's rate; and the rows of each place in each
    stratum (``table``, places x strata) with the strata's rows and conversions."""

    rows: NDArray[np.int64]
    observed: NDArray[np.int64]
    expected: NDArray[np.float64]
    variance: NDArray[np.float64]
    table: NDArray[np.float64]
    stratum_rows: NDArray[np.float64]
    stratum_conversions: NDArray[np.float64]


def place_counts(stratum: NDArray[np.int64], place: NDArray[np.int64],
                 converted: NDArray[np.bool_], n_places: int) -> PlaceCounts:
    """The counts of rows in ``stratum`` (an index per row) and ``place`` (0..n_places-1):
    ``p_s`` is each stratum's conversion rate over these rows (module docstring)."""
    stratum = np.asarray(stratum, np.int64)
    place = np.asarray(place, np.int64)
    conv = np.asarray(converted, bool)
    k = int(stratum.max(initial=-1)) + 1
    n_s = np.bincount(stratum, minlength=k)
    k_s = np.bincount(stratum, weights=conv, minlength=k)
    p_s = k_s / np.maximum(n_s, 1)
    p = p_s[stratum]
    table = np.bincount(place * k + stratum, minlength=n_places * k).reshape(n_places, k)
    return PlaceCounts(np.bincount(place, minlength=n_places).astype(np.int64),
                       np.bincount(place, weights=conv, minlength=n_places).astype(np.int64),
                       np.bincount(place, weights=p, minlength=n_places).astype(np.float64),
                       np.bincount(place, weights=p * (1.0 - p), minlength=n_places
                                   ).astype(np.float64),
                       table.astype(np.float64), n_s.astype(np.float64), k_s.astype(np.float64))


def covariance(table: NDArray[np.float64], n_s: NDArray[np.float64],
               k_s: NDArray[np.float64]) -> NDArray[np.float64]:
    """The groups' conversion counts' covariance given each stratum's conversions
    (``table``: rows of each group in each stratum; module docstring's ``V``)."""
    c = np.zeros(len(n_s))
    big = n_s > 1
    c[big] = k_s[big] * (n_s[big] - k_s[big]) / (n_s[big] ** 2 * (n_s[big] - 1))
    return np.diag(table @ (c * n_s)) - (table * c) @ table.T


def cmh_statistic(d: NDArray[np.float64], v: NDArray[np.float64]) -> tuple[float, int]:
    """(``d' V^+ d``, ``rank(V)``) of a symmetric positive semi-definite ``V``."""
    lam, vec = np.linalg.eigh(v)
    top = float(lam.max(initial=0.0))
    live = lam > max(top, 1e-300) * 1e-9
    proj = vec[:, live].T @ d
    return float(np.sum(proj ** 2 / lam[live])), int(live.sum())


def _small(e: NDArray[np.float64], n: NDArray[np.float64]) -> NDArray[np.bool_]:
    return (e < MIN_EXPECTED) | (n - e < MIN_EXPECTED)


def pooled_groups(c: PlaceCounts) -> tuple[NDArray[np.int64], int]:
    """(each place's group, or -1 for a place without rows; places pooled): the places too
    small to test (under ``MIN_EXPECTED`` expected conversions or non-conversions) share the
    last group, and while that pool is small itself, the smallest other place joins it."""
    has = c.rows > 0
    e, n = c.expected, c.rows.astype(np.float64)
    pool = has & _small(e, n)
    if pool.any():
        room = np.minimum(e, n - e)
        for i in np.flatnonzero(has & ~pool)[np.argsort(room[has & ~pool], kind="stable")]:
            if not _small(np.array([e[pool].sum()]), np.array([n[pool].sum()]))[0]:
                break
            pool[i] = True
    group = np.full(len(c.rows), -1, np.int64)
    alone = np.flatnonzero(has & ~pool)
    group[alone] = np.arange(len(alone))
    group[pool] = len(alone)
    return group, int(pool.sum())


def place_dispersion(c: PlaceCounts) -> dict[str, Any]:
    """One arm's test (module docstring): ``places`` with rows, the ``groups`` tested after
    pooling (``pooled_places`` of them in one group), ``statistic`` (Q), ``df``, ``p_value``,
    ``phi``; the last four null, and ``note`` saying why, when fewer than 2 groups remain."""
    group, pooled = pooled_groups(c)
    g = int(group.max(initial=-1)) + 1
    keep = group >= 0
    x, e, v = (np.bincount(group[keep], weights=a[keep], minlength=g)
               for a in (c.observed, c.expected, c.variance))
    live = v > 1e-12  # a group of rates 0 and 1 only: its count is fixed, no information
    out: dict[str, Any] = {"rows": int(c.rows.sum()), "conversions": int(c.observed.sum()),
                           "places": int((c.rows > 0).sum()), "groups": int(live.sum()),
                           "pooled_places": pooled}
    if live.sum() < 2:
        return {**out, "statistic": None, "df": None, "p_value": None, "phi": None,
                "note": f"too few conversions to test: {int(live.sum())} group"
                        f"{'' if live.sum() == 1 else 's'} of at least {MIN_EXPECTED:g} "
                        "expected conversions and non-conversions (2 needed)"}
    table = np.zeros((g, c.table.shape[1]))
    np.add.at(table, group[keep], c.table[keep])
    cov = covariance(table[live], c.stratum_rows, c.stratum_conversions)
    q, df = cmh_statistic((x - e)[live].astype(np.float64), cov)
    if df < 1:  # every stratum's conversions fall on one group: nothing varies
        return {**out, "statistic": None, "df": None, "p_value": None, "phi": None,
                "note": "too few conversions to test: no stratum's conversions could fall "
                        "on more than one group of places"}
    return {**out, "statistic": round(q, 4), "df": df,
            "p_value": float(f"{float(stats.chi2.sf(q, df)):.4g}"),
            "phi": round(q / df, 4)}


def _places(model: Model, user_ids: pa.Array) -> tuple[str | None, NDArray[np.int64], int]:
    """(the attribute, each row's place index or -1, the places) of the rows' users."""
    attrs = model.user_table.attributes
    attr = next((a for a in PLACE_ATTRIBUTES if a in attrs), None)
    if attr is None:
        return None, np.full(len(user_ids), -1, np.int64), 0
    idx = model.users.to_index(user_ids, strict=False)
    values = np.full(len(idx), "", dtype=object)
    values[idx >= 0] = np.asarray(attrs[attr], object)[idx[idx >= 0]]
    # each value byte for byte ("North" and "North " are two places, as the distribution's
    # place_groups keeps them); one of spaces alone is no place, as a blank one is (why it
    # stripped: the labels themselves were stripped too, merging those two)
    label = values.astype(str)
    placed = np.char.strip(label) != ""
    names, code = np.unique(label[placed], return_inverse=True)
    out = np.full(len(idx), -1, np.int64)
    out[placed] = code.ravel()
    return attr, out, len(names)


def _empty(attribute: str | None, note: str, unplaced: int | None = None,
           warning: str | None = None) -> dict[str, Any]:
    return {"attribute": attribute, "level": LEVEL, "beyond_chance": None,
            "unplaced_rows": unplaced, "controls": None, "targets": None, "note": note,
            "model_warning": warning}


def model_warning(model: Model, user_ids: pa.Array, plan_version: str | None) -> str | None:
    """Why the places may not be the plan's users': ``model`` is not the model the plan was
    made with (``plan_version``), naming both and counting the distinct users of
    ``user_ids`` it does not know; None when it is the plan's (or the plan names none)."""
    if not plan_version or model.version == plan_version:
        return None
    users = pa.array(np.unique(np.asarray(user_ids.to_numpy(zero_copy_only=False),
                                          str)).tolist(), pa.string())
    lacking = int((model.users.to_index(users, strict=False) < 0).sum())
    knows = (f"it does not know {lacking:,} of the plan's {len(users):,} users (their rows "
             "are in no place, unplaced_rows)" if lacking else
             f"it knows all {len(users):,} of the plan's users (their places are read from it, "
             "as they are in it now)")
    return (f"the places come from model {model.version}, not the plan's ({plan_version}, the "
            f"model it was planned with): {knows}; give the plan's model for its users' "
            "places")


def dispersion(rows: pa.Table, converted: NDArray[np.bool_], model: Model | None,
               no_model: str = "no model given", plan_version: str | None = None
               ) -> dict[str, Any]:
    """The report's ``dispersion`` block of plan ``rows`` (``PLAN_SCHEMA``, the sent waves')
    whose conversions are ``converted``, the places from ``model``'s users (None: not
    checked, ``no_model`` saying why); ``model_warning`` when ``model`` is not the plan's
    (``plan_version``: its summary's ``model_version``)."""
    if model is None:
        return _empty(None, f"not checked: {no_model}")
    users = rows.column("user_id").combine_chunks() if rows.num_rows \
        else pa.array([], pa.string())
    warning = model_warning(model, users, plan_version)
    attr, place, k = _places(model, users)
    if attr is None:
        return _empty(None, "not checked: the model's users have no place attribute ("
                      + ", ".join(PLACE_ATTRIBUTES) + ")", warning=warning)
    film = np.asarray(rows.column("film_id").to_numpy(zero_copy_only=False), str)
    wave = np.asarray(rows.column("wave").to_numpy(), np.int64)
    target = np.asarray(rows.column("group").to_numpy(zero_copy_only=False), str) == "target"
    code = np.unique(film, return_inverse=True)[1].ravel().astype(np.int64)
    stratum = np.unique(code * (int(wave.max(initial=0)) + 1) + wave,
                        return_inverse=True)[1].ravel().astype(np.int64)
    s = int(stratum.max(initial=-1)) + 1
    both = (np.bincount(stratum[target], minlength=s) > 0) & \
        (np.bincount(stratum[~target], minlength=s) > 0)
    measured = both[stratum] if len(stratum) else np.zeros(0, bool)
    conv = np.asarray(converted, bool)
    out = _empty(attr, "", int((measured & (place < 0)).sum()), warning)
    arms = {}
    for name, arm in zip(_ARMS, (~target, target), strict=True):
        m = measured & arm & (place >= 0)
        arms[name] = place_dispersion(place_counts(stratum[m], place[m], conv[m], k))
    tested = [a for a in arms.values() if a["p_value"] is not None]
    for a in arms.values():
        a["beyond_chance"] = None if a["p_value"] is None else \
            bool(a["p_value"] < LEVEL / len(tested))
    out.update(arms, beyond_chance=None if not tested else any(
        a["beyond_chance"] for a in tested))
    out["note"] = _words(attr, arms, len(tested)) + _erased_words(users, measured & (place < 0))
    return out


def _erased_words(users: pa.Array, unplaced: NDArray[np.bool_]) -> str:
    """How many unplaced rows are of erased users (a tombstone, ``erasure.TOMBSTONE_PREFIX``:
    the model's user table no longer gives them a place), or ''."""
    from recommender.campaigns.erasure import TOMBSTONE_PREFIX

    ids = np.asarray(users.to_numpy(zero_copy_only=False), str)[unplaced]
    n = int(np.char.startswith(ids, TOMBSTONE_PREFIX).sum()) if len(ids) else 0
    return (f"; {n:,} of the {int(unplaced.sum()):,} unplaced rows are of users erased since "
            "(recommender forget: a tombstone has no place), so these figures differ from "
            "those before the erasure" if n else "")


def _arm_words(name: str, a: dict[str, Any], threshold: float) -> str:
    if a["p_value"] is None:
        return f"the {name}: {a['note']}"
    said = f"phi {a['phi']:.2f} (chi-square {a['statistic']:.2f} on {a['df']} df, p " \
        f"{a['p_value']:.3g}"
    if a["beyond_chance"]:
        return (f"the {name}' conversions vary across {a['groups']} groups of places more "
                f"than one rate per film and wave allows: {said} < {threshold:.3g})")
    return (f"the {name}' conversions across {a['groups']} groups of places: {said}), not "
            f"beyond chance (p >= {threshold:.3g})")


def _words(attr: str, arms: dict[str, dict[str, Any]], tested: int) -> str:
    threshold = LEVEL / max(tested, 1)
    said = "; ".join(_arm_words(n, arms[n], threshold) for n in _ARMS)
    if not tested:
        return f"not checked by {attr}: {said}"
    return f"by {attr}, {said}"


def report_sentence(block: dict[str, Any]) -> str:
    """The report note's sentence when the places vary beyond chance, else ''."""
    if not block.get("beyond_chance"):
        return ""
    arms = ", ".join(f"{n} phi {block[n]['phi']:.2f}, p {block[n]['p_value']:.3g}"
                     for n in _ARMS if (block.get(n) or {}).get("beyond_chance"))
    return (f"; the places' ({block['attribute']}) conversion rates vary more than "
            f"one rate per film and wave allows ({arms}; dispersion): a shock shared by a "
            "place, or places whose users differ in p within a film, which the check cannot "
            "tell apart; if a shock, the absolute uplift and the rates describe this campaign "
            "rather than forecast a repeat, their intervals too narrow for a forecast, and the "
            f"relative uplift held its planted value in the measurement of such shocks "
            f"({ASSUME})")
