"""The words for a user-film score: an audience's (taste alone) or a recommendation's (plus prior).

One user and one film get two numbers: the film's audience ranks users by the taste score,
the dot product ``user_factors[u] @ film_factors[i]``, while the user's recommendations rank
films by that taste score plus the film's popularity prior ``film_prior[i]`` (the same for
every user, so it leaves an audience's order as it is; ``recommender.model.prior``). With a
prior the two differ for the same pair, so each surface names them apart: the CLI's column
headers (``score``, ``score+prior``), the HTTP schema's descriptions, the export files'
``units`` and the Studio's labels.
"""

from __future__ import annotations

#: an audience's score: the taste score alone
TASTE_SCORE = ("the taste score: the dot product of the user's and the film's taste vectors "
               "(no unit; it orders the ranking only; no popularity prior, so it is not a "
               "recommendation's score of the same pair when the model has one)")

#: a recommendation's score: the taste score plus the film's popularity prior
REC_SCORE = ("the taste score (the dot product of the user's and the film's taste vectors, "
             "the pair's score in the film's audience) plus the film's popularity prior, the "
             "same for every user (0 when the model has none: GET /health's "
             "model.params.popularity is 0); no unit, for ordering only")

#: the CLI's column header for a recommendation's score with a prior (without one it is the
#: taste score, headed ``score`` as an audience's)
REC_HEADER = "score+prior"

#: an audience page's rank: a film's, a new film's (cold start) or a lookalike's
USER_RANK = ("1 = first: on an audience (a new one's too: cold start) the one most likely "
             "to watch; on a lookalike page the one most like the seeds")
