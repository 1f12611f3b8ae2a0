"""Text a kartrekker typed stays text where a launch puts it: in the seeded Markdown documents (read back
from the sandbox and rendered by a CommonMark parser) and in the calendar events (icalendar text values)."""
from __future__ import annotations

import re

import pytest
from icalendar import Calendar
from markdown_it import MarkdownIt

from extension.network_templates import load_template, render_document, sample_context
from extension.network_templates.render import DocumentContext, NetworkInfo, markdown_text
from tests.networks.conftest import build_world, network_yaml
from tests.networks.snapshot import calendars, files
from tests.robustness_input.hostile import HOSTILE, LINK, PLACEHOLDER, SCRIPT
from tests.network_templates.conftest import VALID

# Nextcloud Text reads Markdown like CommonMark with tables; links and HTML are what must not come out.
MARKDOWN = MarkdownIt("commonmark").enable("table")

NAME = f"Taal {HOSTILE}"
TOPIC = f"Onderwerp {LINK}"
QUESTION = f"Vraag {SCRIPT} en {PLACEHOLDER}?"
AMBITION = f"Ambitie ![beeld](http://evil.example/x.png) *nadruk* `code` | cel"
PLACE = f"Zaal {HOSTILE}"
MEMBER = f"Anna {SCRIPT} [Anna](http://evil.example)"


def as_html(markdown: str) -> str:
    return MARKDOWN.render(markdown)


def escaped(text: str) -> str:
    """How an HTML renderer shows `text` as text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def assert_text_only(html: str) -> None:
    """No markup came from the text: the only links are the app's own (the Readme's Talk conversation)."""
    links = re.findall(r'<a href="([^"]*)"', html)
    assert all("/index.php/call/" in href for href in links), links
    assert "<script" not in html and "<img" not in html and "<em>nadruk" not in html, html


@pytest.mark.parametrize("value", [SCRIPT, PLACEHOLDER, LINK, HOSTILE, "# kop", "- item", "1. item", "a | b",
                                   "**vet** _schuin_ ~~weg~~ `code`", "&lt;script&gt;", "<b>vet</b>", "\\[x]",
                                   "regel een\n# regel twee\n2) drie"])
def test_markdown_text_renders_as_exactly_the_text_it_was(value):
    html = as_html(markdown_text(value))
    assert_text_only(html)
    shown = html.removeprefix("<p>").removesuffix("</p>\n")
    assert shown == escaped(value)


def test_a_rendered_document_shows_hostile_values_as_text():
    template = load_template(VALID / "klein")
    context = sample_context(template)
    network = NetworkInfo(NAME, TOPIC, QUESTION, AMBITION, context.network.start, PLACE)
    hostile = DocumentContext(network, context.kartrekker, context.members, context.organisations, context.phases)
    source = "# {{ network.name }}\n\n{{ network.topic }}: {{ network.question }}\n\n{{ network.ambition }}\n"
    template._sources["docs/hostile.md"] = source
    html = as_html(render_document(template, "docs/hostile.md", hostile))
    assert_text_only(html)
    for value in (NAME, TOPIC, QUESTION, AMBITION):
        assert escaped(value) in html


@pytest.fixture
def hostile_world(sqlite_app, sandbox, tmp_path):
    world = build_world(sqlite_app, sandbox, tmp_path)
    text = network_yaml(name=NAME)
    text = text.replace("topic: Mondelinge taal", f"topic: {quoted(TOPIC)}")
    text = text.replace("question: Hoe sluit de taalaanpak van peuters aan op die van kleuters?",
                        f"question: {quoted(QUESTION)}")
    text = text.replace("ambition: Elk kind start in groep 1 met een aanpak die het al kent.",
                        f"ambition: {quoted(AMBITION)}")
    text = text.replace("place: De Zonnebloem, Zuilen", f"place: {quoted(PLACE)}")
    text = text.replace("name: Anna de Vries,", f"name: {quoted(MEMBER)},")
    world.network_file.write_text(text, encoding="utf-8")
    return world


def quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_a_launched_network_keeps_hostile_text_as_text_in_documents_and_events(hostile_world):
    slug = hostile_world.create()
    assert hostile_world.launch(slug).ok
    org = hostile_world.sandbox.org("a")

    documents = {path: text for path, text in files(org.root / "files").items() if path.endswith(".md")}
    readme = next(text for path, text in documents.items() if path.endswith("/Readme.md"))
    html = as_html(readme)
    for value in (NAME, TOPIC, QUESTION, AMBITION, MEMBER):
        assert escaped(value) in html, value
    for path, text in documents.items():
        assert_text_only(as_html(text))

    events = [Calendar.from_ical(text).walk("VEVENT")[0]
              for name, calendar in calendars(org).items() if not name.endswith("-taken")
              for text in calendar["objects"].values()]
    assert events
    for event in events:
        assert str(event["SUMMARY"]).endswith(f" – {NAME}")
        assert str(event["LOCATION"]) == PLACE
        assert f'"{NAME}"' in str(event["DESCRIPTION"])
