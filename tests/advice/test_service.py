"""The form advice follows the goal first, refines by duration and organisations, and never refuses."""
import itertools

import pytest

from extension.advice.service import DURATIONS, FORMS, GOALS, InvalidAnswer, advise
from extension.i18n import set_cli_language


@pytest.fixture(autouse=True)
def dutch():
    """The advice reads in the command line's language outside a request: Dutch here, as by default."""
    set_cli_language("nl")
    yield
    set_cli_language("nl")


def test_inspiring_and_meeting_each_other_gets_a_studiemiddag():
    advice = advise("inspireren", "dagdeel", 3)
    assert advice.form == "studiemiddag" and str(advice.title) == "Studiemiddag"
    assert "inspireren en ontmoeten" in str(advice.reason)


def test_picking_up_ideas_or_expertise_gets_a_workshop():
    advice = advise("expertise", "maanden", 2)
    assert advice.form == "workshop"
    assert "expertise" in str(advice.reason)


def test_a_long_running_shared_question_gets_a_lerend_netwerk_with_the_reason():
    advice = advise("vraagstuk", "jaar", 3)
    assert advice.form == "lerend-netwerk"
    assert "pasklaar antwoord" in str(advice.reason)
    assert any("podium" in str(note) for note in advice.notes)


def test_a_shared_question_with_only_one_afternoon_starts_with_a_studiemiddag_and_says_why():
    advice = advise("vraagstuk", "dagdeel", 4)
    assert advice.form == "studiemiddag"
    assert "tijd nodig" in str(advice.reason)
    assert "lerend netwerk" in str(advice.notes[0])


def test_a_network_of_one_organisation_is_advised_but_told_to_find_partners():
    advice = advise("vraagstuk", "jaar", 1)
    assert advice.form == "lerend-netwerk"
    assert any("partners" in str(note) for note in advice.notes)


def test_a_very_large_network_is_advised_with_a_note_about_its_size():
    advice = advise("vraagstuk", "jaar", 12)
    assert any("12 organisaties" in str(note) for note in advice.notes)


def test_a_few_months_for_a_network_comes_with_a_note_about_the_usual_length():
    assert any("minstens vier bijeenkomsten" in str(note) for note in advise("vraagstuk", "maanden", 3).notes)


def test_a_year_of_inspiration_suggests_a_series_of_studiemiddagen():
    assert any("paar studiemiddagen" in str(note) for note in advise("inspireren", "jaar", 2).notes)


def test_every_combination_of_answers_gets_one_of_the_three_forms_with_a_reason():
    for goal, duration, organisations in itertools.product(GOALS, DURATIONS, (1, 2, 5, 20)):
        advice = advise(goal, duration, organisations)
        assert advice.form in FORMS and str(advice.reason)


@pytest.mark.parametrize("answers,field", [
    (("leren", "jaar", 2), "goal"),
    (("vraagstuk", "eeuwig", 2), "duration"),
    (("vraagstuk", "jaar", 0), "organisations"),
    (("vraagstuk", "jaar", True), "organisations"),
])
def test_an_answer_outside_the_choices_names_the_question(answers, field):
    with pytest.raises(InvalidAnswer) as caught:
        advise(*answers)
    assert caught.value.field == field


def test_the_advice_speaks_to_you_as_je_and_reads_in_english_when_chosen():
    for goal, duration, organisations in itertools.product(GOALS, DURATIONS, (1, 2, 20)):
        advice = advise(goal, duration, organisations)
        for text in (advice.reason, *advice.notes):
            words = str(text).replace(",", " ").replace(".", " ").replace(";", " ").split()
            assert "u" not in words and "U" not in words and "Uw" not in words and "uw" not in words, str(text)
    set_cli_language("en")
    advice = advise("expertise", "dagdeel", 2)
    assert str(advice.title) == "Workshop" and str(advice.reason).startswith("Your goal is to pick up new ideas")
