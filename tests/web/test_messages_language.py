"""The network file's validation messages next to the wizard's fields read in the page's language: the
services raise them as msgids, and the page translates them when it renders."""
from __future__ import annotations

from tests.extension.connected import connect_account
from tests.web.conftest import signed_in


def _mistakes(client, base: str) -> str:
    response = client.post(f"{base}/3", data={"name": "", "topic": "Taal", "start": "morgen"})
    assert response.status_code == 422
    return response.get_data(as_text=True)


def test_the_wizard_shows_the_same_validation_messages_in_english_once_english_is_chosen(sqlite_world):
    app = sqlite_world.app
    client = signed_in(app, connect_account(app, sqlite_world.sandbox, "a", "anna"))
    started = client.post("/networks/new")
    base = started.headers["Location"].rsplit("/", 1)[0]
    dutch = _mistakes(client, base)
    assert "ontbreekt" in dutch and "&#39;morgen&#39; is geen geldige datum (JJJJ-MM-DD)" in dutch
    assert client.get(f"{base}/3?lang=en").status_code == 200
    english = _mistakes(client, base)
    assert "is missing" in english and "&#39;morgen&#39; is not a valid date (YYYY-MM-DD)" in english
    assert "ontbreekt" not in english and "geen geldige datum" not in english
