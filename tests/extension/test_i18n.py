"""Dutch by default, English on request; every message has a Dutch translation."""
from pathlib import Path

from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "extension" / "translations"


def test_pages_speak_dutch_by_default(client):
    page = client.get("/").get_data(as_text=True)
    assert "Inloggen" in page and 'lang="nl"' in page


def test_english_on_request_and_remembered(client):
    assert "Sign in" in client.get("/?lang=en").get_data(as_text=True)
    assert "Sign in" in client.get("/").get_data(as_text=True)


def test_an_english_browser_alone_does_not_switch_the_language(client):
    page = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="nl"' in page


def test_every_message_has_a_dutch_translation():
    with open(TRANSLATIONS / "nl" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert untranslated == []


def test_compiled_catalogs_match_their_sources():
    from babel.messages.mofile import read_mo

    for locale in ("nl", "en"):
        folder = TRANSLATIONS / locale / "LC_MESSAGES"
        with open(folder / "messages.po", "rb") as po, open(folder / "messages.mo", "rb") as mo:
            source = {m.id: m.string for m in read_po(po) if m.id and m.string}
            compiled = {m.id: m.string for m in read_mo(mo) if m.id}
        assert compiled == source, f"run: pybabel compile -d extension/translations ({locale})"


def test_a_stored_text_within_a_text_is_translated_when_read_and_fits_its_column():
    from extension.i18n import Text, dump_text, load_text, set_cli_language

    label = Text("Undo: %(label)s", label=Text("Share the folder with %(name)s", name="Anna " * 200))
    stored = dump_text(label, 600)
    assert len(stored) <= 600
    read = load_text(stored)
    try:
        set_cli_language("en")
        assert str(read).startswith("Undo: Share the folder with Anna Anna") and str(read).endswith("…")
        set_cli_language("nl")
        assert str(read).startswith("Ongedaan maken: Map delen met Anna Anna")
    finally:
        set_cli_language(None)
    assert dump_text("a plain text " * 100, 600) == ("a plain text " * 100)[:600]
