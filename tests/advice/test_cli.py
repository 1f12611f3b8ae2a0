"""`lerend-netwerk advise`: by flags or by answering the questions, the advice and reason in Dutch."""
from click.testing import CliRunner

from extension.cli import build

DUTCH = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": None}


def advise(args, **kwargs):
    return CliRunner().invoke(build(), ["advise", *args], env=DUTCH, **kwargs)


def test_advice_by_flags():
    result = advise(["--goal", "expertise", "--duration", "dagdeel", "--organisations", "1"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Advies: Workshop\nJe doel is nieuwe ideeën of expertise opdoen.")


def test_advice_in_english_with_lang_en():
    result = CliRunner().invoke(build(), ["--lang", "en", "advise", "--goal", "vraagstuk", "--duration", "jaar",
                                          "--organisations", "1"], env=DUTCH)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Advice: Learning network\nYou want to work together for a longer time")
    assert "- A learning network consists of people from different organisations" in result.output


def test_advice_asks_the_questions_that_were_not_given():
    result = advise(["--organisations", "3"], input="3\n3\n")
    assert result.exit_code == 0, result.output
    assert "Wat is het doel?" in result.output and "Hoe lang wil je samen optrekken?" in result.output
    assert "  1. Elkaar inspireren en ontmoeten" in result.output and "  3. Een jaar of langer" in result.output
    assert "Hoeveel organisaties" not in result.output
    assert "Advies: Lerend netwerk" in result.output


def test_an_invalid_menu_choice_is_asked_again():
    result = advise(["--duration", "jaar", "--organisations", "2"], input="7\n1\n")
    assert result.exit_code == 0, result.output
    assert "Advies: Studiemiddag" in result.output


def test_an_unknown_flag_value_is_refused_naming_the_option():
    result = advise(["--goal", "leren"])
    assert result.exit_code == 2
    assert "--goal" in result.output
