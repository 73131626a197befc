"""The Studio's film portrait on a model whose users have attributes, none of them pictured (a
users file of places alone): it does not say the users have no attributes."""

from __future__ import annotations

import urllib.parse
from typing import Any

from studio_http import api


def test_users_with_places_alone_are_not_said_to_have_no_attributes(
        watched: Any, served_places_only: Any) -> None:
    """Users naming a city and a cinema only have no portrait, and the film page said "The
    model's users have no attributes" (and to train with a users file, which it had). Oracle:
    /users/attributes, naming city and cinema, and the summary's empty portrait."""
    assert set(api(served_places_only, "/users/attributes")["attributes"]) == {"city", "cinema"}
    film = api(served_places_only, "/films?limit=1")["films"][0]["film_id"]
    quoted = urllib.parse.quote(film, safe="")
    assert api(served_places_only, f"/films/{quoted}/audience/summary")["portrait"] == {}
    page = watched.page
    page.goto(f"{served_places_only.base}/studio/#/film/{quoted}")
    page.wait_for_selector("#portrait-none")
    said = page.inner_text("#portrait-none")
    assert "have no attributes" not in said, said
    assert "none of the portrait's attributes" in said and "occupation" in said, said
    watched.assert_clean()
