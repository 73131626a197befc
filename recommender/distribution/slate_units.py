"""What each figure of a slate's allocation (``slate.plan_slate``) counts, in words."""

from __future__ import annotations

SLATE_UNITS: dict[str, str] = {
    "screens": "screens given to the film at the cinema (allocation rows: a pair given "
               "none has no row, so a film's expected_new may pass its rows' sum); at "
               "the top, all the cinemas' screens",
    "city": "the cinema's city in the cinema table, also for cinemas sent as cinema_id and "
            "screens (allocation rows; null: a cinema the table lacks, or no table)",
    "expected_new": "users of the cinema (their most visited) expected to watch the film "
                    "within the calibration horizon (null: hidden, as for min_cell; 0 at "
                    "a cinema no user names, cinemas_without_users: no users, nothing "
                    "hidden)",
    "objective": "screens: the total absolute deviation sum |screens - target| over "
                 "cinemas and films (0 = every film gets exactly its target), the "
                 "target sharing each cinema's screens in proportion to expected_new "
                 "(a cinema whose expected_new is hidden: to the summed expected_new "
                 "of all the model's hidden cinemas, named or not, or by no demand "
                 "when they hold fewer than min_cell users; a film held to "
                 "its min_screens or max_screens, where the allocation without bounds "
                 "crosses it, has its expected_new scaled by one factor at every "
                 "cinema until its targets meet the bound, but at a cinema without "
                 "demand, where the films' targets are equal shares, only a factor "
                 "under 1 (a cap's) applies; films "
                 "whose min_screens no factors meet, alone or together, take all the "
                 "screens where they have demand, each its min_screens where they "
                 "add up to those screens, else in proportion to them); the least over "
                 "allocations filling each cinema's screens with each film within its "
                 "bounds, where a film its max_screens holds back is fixed at exactly "
                 "that max_screens, so this is the least deviation given those totals, "
                 "which can be more than the least within the bounds alone (its thin "
                 "targets would round down and leave the cap unused)",
    "optimality": "the solver's word on the allocation: status (optimal: proven least "
                  "objective), solver, and the programme's size",
    "optimality.gap": "screens: the objective less the least any allocation of the "
                      "programme (a film its max_screens holds back at that max) could reach "
                      "(0: optimal, the programme's linear optimum is whole; null: not "
                      "proven)",
    "optimality.variables": "variables of the programme (three per cinema and film)",
    "optimality.constraints": "constraints of the programme (one per cinema, per film "
                              "minimum and per film maximum)",
    "optimality.nonzeros": "non-zero coefficients of the programme's constraint matrix",
    "optimality.classes": "cinemas: the classes of identical cinemas (same screens, costs "
                          "and bounds) the programme was solved over, once each; the "
                          "cinemas where it was solved whole or cinema by cinema",
    "optimality.solved_variables": "variables of the programme HiGHS solved (the class "
                                   "programme's: three per class and film; 0: no solver, "
                                   "cinema by cinema); variables above is the whole "
                                   "programme's",
    "optimality.solved_constraints": "constraints of the programme HiGHS solved",
    "optimality.solved_nonzeros": "non-zero coefficients of the programme HiGHS solved",
    "optimality.tie_variables": "variables of the second stage that settles ties among "
                                "optima: the pieces free at the optimum (0: none, or no "
                                "solver)",
    "films.screens": "screens given to the film over all cinemas",
    "films.min_screens": "the slate's fewest screens for the film over all cinemas "
                         "(0: no minimum)",
    "films.max_screens": "the slate's most screens for the film over all cinemas "
                         "(null: no maximum)",
    "films.expected_new": "users expected to watch the film within the calibration "
                          "horizon, over the users of the cinemas whose figures are "
                          "shown (a hidden cinema's are left out of the total too, "
                          "so that the total less the rows is not its figure)",
    "films.expected_new_hidden_cinemas": "cinemas with users whose figures are hidden "
                                         "and left out of expected_new",
    "cinemas": "cinemas in the screens file",
    "cinemas_without_users": "cinemas of the screens file that no user names as "
                             "their most visited (a typo in an id shows here): "
                             "their screens are shared equally among the films no "
                             "bound holds back (totals over such cinemas within "
                             "one screen; a film held to a bound gets its own "
                             "share)",
    "near_misses": "for each of cinemas_without_users whose id is a cinema users name but "
                   "for case, surrounding spaces, Unicode form or leading zeros, those users' "
                   "ids (only cinemas a film's breakdown by cinema shows: a pooled one is "
                   "never offered)",
    "min_cell": "users: a cinema with fewer has its expected_new hidden (null), and so "
                "have the cinemas a film's breakdown by cinema pools with it into "
                "\"other\"",
}


#: what ``shared_by`` (the slate body's) says: each cinema's targets follow the films'
#: expected new viewers, or, where no cinema of the slate has any (a model without
#: calibration, or cinemas no user names), are equal shares
SHARED_BY = ("what the targets share each cinema's screens by: 'expected_new' (the films' "
             "expected new viewers), or 'equally' where no cinema of the slate has any "
             "(a model without calibration forecasts none; cinemas no user names have "
             "none): equal shares, a film its max_screens holds back taking less")
