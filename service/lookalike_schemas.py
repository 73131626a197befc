"""The lookalike's request and response bodies (``POST /audiences/lookalike``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from recommender.query.hints import HINT_IDS
from recommender.query.limits import MAX_OFFSET
from service.schemas import TIED, Audience, Id, JsonInt


class LookalikeAudience(Audience):
    seeds_used: int = Field(description="seed users whose taste the mean is of: the known ones "
                                        "with something fitted (all known ones when none has)")
    unfitted_seed_ids: list[str] = Field(
        description="known seed ids with nothing fitted (a zero taste vector), left out of the "
                    "mean beside a fitted one (the note says so)")
    stripped_seed_ids: list[str] = Field(default_factory=list, description=(
        "seed ids, as sent, that the model does not hold as written but holds without their "
        "surrounding spaces, and were read so (an id held as written is that user, byte for "
        "byte); the CLI and the Studio read seed lists by the same rule"))
    tied: bool = Field(description=TIED)
    unknown_seed_ids: list[str] = Field(description="seed ids the model does not know (skipped)")
    unknown_seed_hints: list[str] = Field(default_factory=list, description=(
        f"what is said of each of the first {HINT_IDS} unknown_seed_ids, in order, as the CLI "
        "says it: the known id it may mean (leading zeros, surrounding spaces, upper and lower "
        "case, Unicode form), else the id alone"))


class LookalikeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # ids are strings (JSON numbers are refused)

    seed_user_ids: list[Id] = Field(min_length=1, max_length=1_000_000,
                                     description="users whose lookalikes to find (at most "
                                                 "RECOMMENDER_MAX_SEED_USERS); an id the model "
                                                 "does not hold as written is read without "
                                                 "its surrounding spaces where it holds that; "
                                                 "seeds are not weighted: an item USER_ID="
                                                 "WEIGHT of a user the model holds (and no "
                                                 "user as written) is refused, 422 at the item",
                                     json_schema_extra={"x-maximum": "max_seed_users"})
    k: JsonInt = Field(100, ge=1, description="page size (users; at most RECOMMENDER_MAX_K)",
                       json_schema_extra={"x-maximum": "max_k"})
    offset: JsonInt = Field(0, ge=0, le=MAX_OFFSET, description="ranks to skip (users)")
    tier: str | None = Field(None, description="only this ring (core, extended or broad; any "
                                               "case): offset 0 is the ring's first user",
                             json_schema_extra={"x-vocabulary": "tier"})
