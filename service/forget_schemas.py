"""The bodies of ``POST /admin/forget``: the users to erase, and what was done to each."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from recommender.campaigns.near_users import MOST
from recommender.io.convert import MAX_ID_BYTES
from service.event_schemas import NOT_BLANK_ID
from service.schemas import StoredId
from service.sent import Sent

MAX_FORGET = 10_000  # user ids in one request (``recommender forget --users FILE``: any)

#: not blanks only by the one rule (``id_columns.blank_id``: ASCII blanks; an id of a no-break
#: space is a user's, trained and served, so erasable)
ErasedId = Annotated[StoredId, Field(min_length=1, max_length=MAX_ID_BYTES,
                                     pattern=NOT_BLANK_ID["pattern"])]


class ForgetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_ids: list[ErasedId] = Field(
        min_length=1, max_length=MAX_FORGET,
        description=f"the user ids to erase, byte for byte (1 to {MAX_FORGET:,} ids, each "
                    "with a character other than an ASCII blank: space, tab, line ending)")
    exact: StrictBool = Field(
        default=False,
        description="erase each id byte for byte as given even where the store holds rows "
                    "only of its other Unicode form (a separate person so spelt: 'joão' "
                    "decomposed, NFD, beside 'joão' composed, NFC); false: such an id is "
                    "refused (422), erasing none of the request's ids (recommender forget "
                    "--exact); true also leaves the opt-outs stored in the id's other "
                    "Unicode form (that person's), erasing those in its own form with spaces, "
                    "our CSV quoting or a leading U+FEFF")


class ForgottenUser(Sent):
    user_id: str
    events: int = Field(description="count of the user's events given a tombstone")
    plan_rows: int = Field(description="count of the user's plan rows given a tombstone")
    opt_outs: int = Field(description="count of the user's opt-outs given a tombstone: "
                                      "the id, and each form the opt-out reader reads as it "
                                      "(surrounding spaces, our CSV quoting, a leading "
                                      "U+FEFF; another Unicode form, unless exact), but "
                                      "not one its plan's model knew as written: that "
                                      "user's own opt-out, kept")
    plan_summaries: int = Field(description="count of stored plan summaries naming the user "
                                            "(a JSON string of the summary is the id or such "
                                            "a form: excluded_unknown_user_ids; or a plan "
                                            "note quotes one) where a tombstone took its "
                                            "place")
    idempotency_keys: int = Field(description="count of idempotency keys of stored plans "
                                              "holding the id (as text, anywhere in the key) "
                                              "replaced by a tombstone: a retry with such a "
                                              "key plans anew")
    already: bool = Field(description="whether the id was erased before (recorded once)")
    did_you_mean: list[str] = Field(
        description="for an id the store held no row of (and not erased before): the store's "
                    "user ids it may mean, equal to it but for leading zeros, surrounding "
                    "spaces, letter case or Unicode form ('u00939' for 'U00939'), as an "
                    "unknown id's error names them; empty where none (or past the first "
                    f"{MOST:,} ids with no row); the id given was erased (recorded) all the same")


class Forgotten(Sent):
    users: list[ForgottenUser] = Field(description="one per distinct id, in the order sent")
    note: str = Field(description="when answers leave them out, and what still holds them; "
                                  "on SQLite, whether the erased bytes are still in the "
                                  "store's write-ahead log (a reader kept it from being "
                                  "checkpointed: the erasure is committed all the same)")
