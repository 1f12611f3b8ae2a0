"""Documents render sandboxed, strictly and deterministically; the shipped ones match their snapshots."""
import dataclasses
import os
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from extension.network_templates import (
    DocumentContext,
    MeetingInfo,
    MemberInfo,
    NetworkInfo,
    OrganisationInfo,
    PersonInfo,
    PhaseInfo,
    TemplateError,
    get_template,
    load_template,
    render_document,
    sample_context,
)
from extension.network_templates.render import check_document, render_text

from tests.network_templates.conftest import VALID

SNAPSHOTS = Path(__file__).parent / "snapshots"


def assert_matches_snapshot(name: str, text: str) -> None:
    """Compare with tests/network_templates/snapshots/<name>; LN_UPDATE_SNAPSHOTS=1 rewrites the file instead."""
    path = SNAPSHOTS / name
    if os.environ.get("LN_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"snapshot {name} missing; run with LN_UPDATE_SNAPSHOTS=1 to create it"
    assert text == path.read_text(encoding="utf-8")


def overvecht(template) -> DocumentContext:
    """A realistic network: three organisations, one without a manager commitment yet, Dutch diacritics."""
    phases = tuple(PhaseInfo.from_template(template, p.key) for p in template.phases)
    weeks = template.meeting_weeks()
    start = date(2025, 9, 1)
    meetings = tuple(
        MeetingInfo(m.key, m.phase, m.title, datetime.combine(start + timedelta(weeks=weeks[m.key]), time(15, 30)),
                    datetime.combine(start + timedelta(weeks=weeks[m.key]), time(18, 0)), "Buurthuis De Schakel")
        for m in template.meetings.items)
    return DocumentContext(
        network=NetworkInfo("Taal in de doorgaande lijn — Overvecht", "Mondelinge taalvaardigheid",
                            "Hoe laten we peuters en kleuters dezelfde woordenschataanpak herkennen?",
                            "Elk kind start in groep 1 met woorden en rituelen die het al kent.", start,
                            "Buurthuis De Schakel"),
        kartrekker=PersonInfo("Anna de Vries", "anna@zonnebloem.example", "Kinderopvang De Zonnebloem"),
        members=(
            MemberInfo("Anna de Vries", "Kinderopvang De Zonnebloem", "kartrekker", "pedagogisch coach",
                       "anna@zonnebloem.example"),
            MemberInfo("Noëlle Bakker", "Kinderopvang De Zonnebloem", "deelnemer", "pedagogisch medewerker"),
            MemberInfo("Chloë Jansen", "OBS De Ster", "deelnemer", "leerkracht groep 1-2"),
            MemberInfo("Eloïse Smit", "OBS De Ster", "deelnemer", "intern begeleider"),
            MemberInfo("Sem Visser", "Peutergroep Het Nest", "deelnemer", ""),
        ),
        organisations=(
            OrganisationInfo("Kinderopvang De Zonnebloem", "kinderopvang", "Bea Bos", 4, "teamoverleg, maandelijks"),
            OrganisationInfo("OBS De Ster", "basisschool", "Carla Kok", 2.5, "bouwvergadering onderbouw"),
            OrganisationInfo("Peutergroep Het Nest", "peuterspeelzaal"),
        ),
        phases=phases,
        meetings=meetings,
    )


def context_for(template, document, base):
    phase = next((p for p in base.phases if p.key == document.phase), None)
    meeting = next((m for m in base.meetings if m.key == document.meeting), None)
    return dataclasses.replace(base, phase=phase, meeting=meeting)


@pytest.mark.parametrize("template_id,source,snapshot", [
    ("doorgaande-lijn", "documenten/readme.md", "doorgaande-lijn-readme.md"),
    ("doorgaande-lijn", "documenten/netwerkplan.md", "doorgaande-lijn-netwerkplan.md"),
    ("doorgaande-lijn", "documenten/agenda-startbijeenkomst.md", "doorgaande-lijn-agenda-startbijeenkomst.md"),
    ("doorgaande-lijn", "documenten/borgingsplan.md", "doorgaande-lijn-borgingsplan.md"),
    ("lerend-netwerk-jeugd", "documenten/agenda.md", "lerend-netwerk-jeugd-agenda.md"),
])
def test_shipped_document_renders_like_the_snapshot(template_id, source, snapshot):
    template = get_template(template_id)
    document = next(d for d in template.seeded_documents() if d.source == source)
    assert_matches_snapshot(snapshot, render_document(template, source, context_for(template, document, overvecht(template))))


@pytest.mark.parametrize("template_id", ["doorgaande-lijn", "lerend-netwerk-jeugd"])
def test_every_shipped_document_renders_the_same_text_twice_and_leaves_no_jinja_behind(template_id):
    template = get_template(template_id)
    base = overvecht(template)
    for document in template.seeded_documents():
        context = context_for(template, document, base)
        text = render_document(template, document.source, context)
        assert text == render_document(template, document.source, context)
        assert "{{" not in text and "{%" not in text, document.source
        assert "Overvecht" in text or document.kind != "readme"


def test_a_mapping_works_as_context_too():
    template = load_template(VALID / "klein")
    context = sample_context(template).as_mapping()
    assert render_document(template, "docs/readme.md", context).startswith("# Voorbeeldnetwerk\n")


def test_dutch_filters_for_dates_times_and_numbers():
    names = {"d": date(2026, 2, 14), "t": datetime(2026, 2, 14, 9, 5), "a": 4.0, "b": 2.5}
    text = render_text("{{ d | datum }} {{ t | tijd }} {{ a | getal }} {{ b | getal }}", "x.md", names)
    assert text == "zaterdag 14 februari 2026 09:05 4 2,5"


def test_an_undefined_attribute_at_render_time_names_file_line_and_the_known_fields():
    template = load_template(VALID / "klein")
    with pytest.raises(TemplateError) as caught:
        render_text("regel een\n{{ kartrekker.telefoon }}\n", "doc.md", sample_context(template).as_mapping())
    assert str(caught.value) == ("doc.md:2: kartrekker.telefoon: onbekende eigenschap 'telefoon'; "
                                 "bekend zijn: name, email, organisation")


def test_the_sandbox_refuses_reaching_python_internals():
    template = load_template(VALID / "klein")
    with pytest.raises(TemplateError, match="doc.md:1"):
        render_text("{{ network.__class__.__init__.__globals__ }}", "doc.md", sample_context(template).as_mapping())


def test_unknown_placeholders_are_found_at_load_time_with_their_line_and_loop_variables_are_not():
    text = "# {{ network.name }}\n{% for m in members %}{{ m.name }}{% endfor %}\n\n{{ datum_van_vandaag }}\n"
    problems = check_document(text, "doc.md", "phase")
    assert [str(p) for p in problems] == [
        "doc.md:4: datum_van_vandaag: onbekende plaatshouder 'datum_van_vandaag'; bekend zijn: kartrekker, "
        "meetings, members, network, organisations, phase, phases"]


def test_a_document_not_in_the_template_is_refused():
    template = load_template(VALID / "klein")
    with pytest.raises(TemplateError, match="hoort niet bij dit sjabloon"):
        render_document(template, "docs/unknown-placeholder.md", sample_context(template))
