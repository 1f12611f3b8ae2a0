"""The form advice as a pure function: the answers to three questions give a form and the reason for it.

The method first fixes the goal, then picks the form: inspiring and meeting each other fits a studiemiddag,
picking up new ideas or expertise fits a workshop, and working for a longer time on a shared question that
has no ready answer fits a lerend netwerk. Duration and the number of organisations refine the advice;
the advice never refuses anything, it only explains.
"""
from __future__ import annotations

from dataclasses import dataclass

from extension.i18n import Text

GOALS = {
    "inspireren": Text("Inspire each other and meet"),
    "expertise": Text("Pick up new ideas or expertise"),
    "vraagstuk": Text("Work together for a longer time on a shared question without a ready answer"),
}
DURATIONS = {
    "dagdeel": Text("Half a day or one day"),
    "maanden": Text("A few weeks to a few months"),
    "jaar": Text("A year or longer"),
}
FORMS = {
    "studiemiddag": Text("Study afternoon"),
    "workshop": Text("Workshop"),
    "lerend-netwerk": Text("Learning network"),
}
LARGE_NETWORK = 8


class InvalidAnswer(ValueError):
    """An answer outside the offered choices; `field` names the question."""

    def __init__(self, field: str, message: Text):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Advice:
    """The advised form; reason and notes are Text, read in the language of whoever asked."""

    form: str
    reason: Text
    notes: tuple[Text, ...] = ()

    @property
    def title(self) -> Text:
        return FORMS[self.form]


def advise(goal: str, duration: str, organisations: int) -> Advice:
    """Advise a form for `goal` (a key of GOALS), `duration` (a key of DURATIONS) and a number of organisations."""
    if goal not in GOALS:
        raise InvalidAnswer("goal", Text("'%(answer)s' is not a choice; choose from %(choices)s", answer=goal,
                                         choices=", ".join(GOALS)))
    if duration not in DURATIONS:
        raise InvalidAnswer("duration", Text("'%(answer)s' is not a choice; choose from %(choices)s",
                                             answer=duration, choices=", ".join(DURATIONS)))
    if isinstance(organisations, bool) or not isinstance(organisations, int) or organisations < 1:
        raise InvalidAnswer("organisations", Text("give the number of organisations as a whole number of 1 or more"))

    if goal == "inspireren":
        notes = []
        if duration != "dagdeel":
            notes.append(Text("If you want to meet more often, plan a few study afternoons spread over the year; "
                              "each afternoon stands on its own."))
        if organisations > 1:
            notes.append(Text("Invite speakers or hosts from each of the organisations, so that everyone gets a "
                              "look into each other's work."))
        return Advice("studiemiddag",
                      Text("Your goal is to inspire each other and meet. A light form is enough for that: a study "
                           "afternoon brings people together without committing them for a longer time."),
                      tuple(notes))

    if goal == "expertise":
        notes = []
        if duration == "jaar":
            notes.append(Text("Over a longer period a series of workshops works, each with a theme of its own; if "
                              "a shared question turns out to lie beneath them, a learning network can follow."))
        if organisations > 1:
            notes.append(Text("Put participants from different organisations together in the exercises, so that "
                              "they also learn from each other's practice."))
        return Advice("workshop",
                      Text("Your goal is to pick up new ideas or expertise. A workshop passes on knowledge in a "
                           "focused way and lets participants practise with it straight away; a learning network "
                           "is heavier than needed for that."),
                      tuple(notes))

    if duration == "dagdeel":
        return Advice("studiemiddag",
                      Text("You want to work on a shared question without a ready answer, but you have half a "
                           "day for it. A learning network needs time to experiment and to embed what works; so "
                           "start with a study afternoon that explores the question and shows who wants to go on "
                           "with it."),
                      (Text("If there is enough interest and time after the study afternoon, start a learning "
                            "network after all."),))
    notes = []
    if duration == "maanden":
        notes.append(Text("A learning network usually runs for a year, with a few meetings a year and work in "
                          "your own practice in between. Count on at least four meetings and a phase to embed "
                          "what was learned."))
    if organisations == 1:
        notes.append(Text("A learning network consists of people from different organisations who complement "
                          "each other. So look for partners who face the same question."))
    elif organisations > LARGE_NETWORK:
        notes.append(Text("With %(count)s organisations the network becomes large. Consider a core group or two "
                          "networks on the same question, so that everyone gets their turn.", count=organisations))
    notes.append(Text("Ask every manager for time for the participants and a platform in their own organisation, "
                      "so that what the network learns also lands there."))
    return Advice("lerend-netwerk",
                  Text("You want to work together for a longer time on a question that has no ready answer yet. "
                       "That is what a learning network is for: people from different organisations share "
                       "knowledge and experience over a longer period, try things out together and embed what "
                       "works."),
                  tuple(notes))
