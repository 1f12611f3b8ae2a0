"""The Talk page of a conversation at Talk's own link (`/index.php/call/<token>`), so the app's link to a
network's conversation opens in the demo: its name, description, participants and whether it is read-only.
No chat: the sandbox emulates the conversation API the app uses (sandbox.talk), not Talk's messages.
"""

from werkzeug.exceptions import NotFound


def conversation(page, token):
    room = page.org.talk.conversation(token) if page.org.talk.enabled else None
    if room is None or room.attendee("users", page.uid) is None:
        # Talk shows a conversation only to its participants.
        raise NotFound("Dit gesprek bestaat niet of je doet er niet aan mee.")
    people = sorted(room.attendees, key=lambda a: (a.participant_type, a.display_name.lower()))
    return page.render("web/talk.html", room=room, people=people)
