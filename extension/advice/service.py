"""The form advice as a pure function: the answers to three questions give a form and the reason for it.

The method first fixes the goal, then picks the form: inspiring and meeting each other fits a studiemiddag,
picking up new ideas or expertise fits a workshop, and working for a longer time on a shared question that
has no ready answer fits a lerend netwerk. Duration and the number of organisations refine the advice;
the advice never refuses anything, it only explains.
"""
from __future__ import annotations

from dataclasses import dataclass

GOALS = {
    "inspireren": "Elkaar inspireren en ontmoeten",
    "expertise": "Nieuwe ideeën of expertise opdoen",
    "vraagstuk": "Langere tijd samen werken aan een gedeeld vraagstuk zonder pasklaar antwoord",
}
DURATIONS = {
    "dagdeel": "Eén dagdeel of één dag",
    "maanden": "Een paar weken tot enkele maanden",
    "jaar": "Een jaar of langer",
}
FORMS = {
    "studiemiddag": "Studiemiddag",
    "workshop": "Workshop",
    "lerend-netwerk": "Lerend netwerk",
}
LARGE_NETWORK = 8


class InvalidAnswer(ValueError):
    """An answer outside the offered choices; `field` names the question."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Advice:
    form: str
    reason: str
    notes: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return FORMS[self.form]


def advise(goal: str, duration: str, organisations: int) -> Advice:
    """Advise a form for `goal` (a key of GOALS), `duration` (a key of DURATIONS) and a number of organisations."""
    if goal not in GOALS:
        raise InvalidAnswer("goal", f"'{goal}' is geen keuze; kies uit {', '.join(GOALS)}")
    if duration not in DURATIONS:
        raise InvalidAnswer("duration", f"'{duration}' is geen keuze; kies uit {', '.join(DURATIONS)}")
    if isinstance(organisations, bool) or not isinstance(organisations, int) or organisations < 1:
        raise InvalidAnswer("organisations", "geef het aantal organisaties als een geheel getal van 1 of meer")

    if goal == "inspireren":
        notes = []
        if duration != "dagdeel":
            notes.append("Wilt u elkaar vaker zien, plan dan een paar studiemiddagen verspreid over het jaar; "
                         "elke middag staat op zichzelf.")
        if organisations > 1:
            notes.append("Nodig sprekers of gastgevers uit elk van de organisaties uit, zodat iedereen een "
                         "kijkje krijgt in elkaars werk.")
        return Advice("studiemiddag",
                      "Uw doel is elkaar inspireren en ontmoeten. Daarvoor is een lichte vorm genoeg: een "
                      "studiemiddag brengt mensen bij elkaar zonder dat ze zich voor langere tijd verbinden.",
                      tuple(notes))

    if goal == "expertise":
        notes = []
        if duration == "jaar":
            notes.append("Over een langere periode kan een reeks workshops, elk met een eigen thema; blijkt "
                         "er een gedeeld vraagstuk onder te liggen, dan kan daarna een lerend netwerk volgen.")
        if organisations > 1:
            notes.append("Zet deelnemers van verschillende organisaties bij elkaar in de oefeningen, zodat "
                         "ze ook van elkaars praktijk leren.")
        return Advice("workshop",
                      "Uw doel is nieuwe ideeën of expertise opdoen. Een workshop brengt kennis gericht over "
                      "en laat deelnemers er meteen mee oefenen; een lerend netwerk is daarvoor zwaarder dan "
                      "nodig.",
                      tuple(notes))

    if duration == "dagdeel":
        return Advice("studiemiddag",
                      "U wilt werken aan een gedeeld vraagstuk zonder pasklaar antwoord, maar heeft er één "
                      "dagdeel voor. Een lerend netwerk heeft tijd nodig om te experimenteren en te borgen; "
                      "begin daarom met een studiemiddag die het vraagstuk verkent en laat zien wie er verder "
                      "mee wil.",
                      ("Is er na de studiemiddag genoeg animo en tijd, start dan alsnog een lerend netwerk.",))
    notes = []
    if duration == "maanden":
        notes.append("Een lerend netwerk loopt meestal een jaar, met een paar bijeenkomsten per jaar en werk "
                     "in de eigen praktijk daartussen. Reken op minstens vier bijeenkomsten en een fase om te "
                     "borgen wat is geleerd.")
    if organisations == 1:
        notes.append("Een lerend netwerk bestaat uit mensen van verschillende organisaties die elkaar "
                     "aanvullen. Zoek daarom partners die met hetzelfde vraagstuk te maken hebben.")
    elif organisations > LARGE_NETWORK:
        notes.append(f"Met {organisations} organisaties wordt het netwerk groot. Overweeg een kerngroep of twee "
                     "netwerken met hetzelfde vraagstuk, zodat iedereen aan bod komt.")
    notes.append("Vraag elke manager om tijd voor de deelnemers en een podium in de eigen organisatie, zodat "
                 "wat het netwerk leert ook daar terechtkomt.")
    return Advice("lerend-netwerk",
                  "U wilt langere tijd samen werken aan een vraagstuk waar nog geen pasklaar antwoord op is. "
                  "Dat is waar een lerend netwerk voor bedoeld is: mensen van verschillende organisaties "
                  "delen over een langere periode kennis en ervaring, proberen samen dingen uit en borgen "
                  "wat werkt.",
                  tuple(notes))
