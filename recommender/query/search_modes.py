"""The modes of a title search (``GET /films?match=``, ``search --match``), without the index.

Kept apart from ``search_kinds`` (which needs the title index, and scipy) so that the CLI's
parser names them without loading either.
"""

from __future__ import annotations

from typing import Literal

MatchMode = Literal["any", "substring"]
#: the search modes: every kind of match, or a title holding the query only
MATCH_MODES: tuple[MatchMode, ...] = ("any", "substring")
#: what the mode says, as ``GET /films?match=`` and ``search --match`` say it
MATCH_HELP = ("which films a query finds: 'any' (the default) every kind of match (a title's "
              "words in any order, a typo, a similar title, the film's id: match.kind says "
              "which); 'substring' only the films one of whose titles holds the query as "
              "typed (case, accents and punctuation aside), which total then counts")
