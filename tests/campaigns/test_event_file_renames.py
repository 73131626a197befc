"""An events file's unread ticket columns are refused with the rename that reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.campaigns.event_file import read_event_file
from recommender.errors import DataError


@pytest.mark.parametrize(("header", "row", "advice"), [
    # a ticket export was told to drop both: its quantities lost, and its retried import,
    # without the ticket ids as event ids, stored every event twice
    ("ticket_id,user_id,film_id,timestamp,tickets", "T1,u1,f1,2026-01-01,2",
     "rename 'tickets' to weight and 'ticket_id' to event_id"),
    ("user_id,film_id,timestamp,Quantity,channel", "u1,f1,2026-01-01,2,email",
     "rename 'Quantity' to weight, and drop the other"),
    ("order_id,user_id,film_id,timestamp,channel,shop", "o1,u1,f1,2026-01-01,x,y",
     "rename 'order_id' to event_id, and drop the others"),
    # the file has the field already: nothing to rename into it
    ("user_id,film_id,timestamp,weight,tickets", "u1,f1,2026-01-01,1,2", "drop it"),
    ("event_id,user_id,film_id,timestamp,ticket_id", "e1,u1,f1,2026-01-01,T1", "drop it"),
    ("user_id,film_id,timestamp,channel,source", "u1,f1,2026-01-01,x,y", "drop them"),
])
def test_a_ticket_exports_columns_are_named_with_their_rename(tmp_path: Path, header: str,
                                                              row: str, advice: str) -> None:
    p = tmp_path / "responses.csv"
    p.write_text(f"{header}\n{row}\n")
    with pytest.raises(DataError) as caught:
        read_event_file(p)
    assert str(caught.value).endswith(f"(POST /events refuses other fields too): {advice}"), \
        str(caught.value)
    # renamed as advised, the file is read, its quantities as weights
    if advice.startswith("rename"):
        names = header.split(",")
        for pair in advice.removeprefix("rename ").split(",")[0].split(" and "):
            old, new = pair.split(" to ")
            names[names.index(old.strip("'"))] = new
        keep = [i for i, n in enumerate(names) if n in
                ("user_id", "film_id", "timestamp", "weight", "event_id")]
        cells = row.split(",")
        p.write_text(",".join(names[i] for i in keep) + "\n"
                     + ",".join(cells[i] for i in keep) + "\n")
        batch = read_event_file(p)
        assert batch.user_id == ["u1"] and batch.film_id == ["f1"]
        if "'tickets' to weight" in advice or "'Quantity' to weight" in advice:
            assert batch.weight == [2.0]
        if "to event_id" in advice:
            assert batch.event_id == [cells[0]]
