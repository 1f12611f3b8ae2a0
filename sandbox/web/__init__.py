"""Browsable pages of a sandbox organisation at Nextcloud's own URLs, so the app's links work in the demo.

Files, Calendar, Tasks and a Talk conversation answer at the paths Nextcloud's apps use
(`/index.php/apps/files/?dir=…`, `/index.php/f/<id>`, `/index.php/apps/calendar/`, `/index.php/apps/tasks/`,
`/index.php/call/<token>`); Mail shows what the sandbox's
SMTP server received and the invitations Nextcloud would have mailed; the start page, sign-in and the fault
control live under `/index.php/apps/sandbox/`. Everything is behind the sandbox's own sign-in.
"""

import secrets

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request

from sandbox.web import calendar, control, files, home, invitations, mail, talk, tasks
from sandbox.web.base import Page, login_redirect
from sandbox.web.session import Sessions

# Pages of the sandbox itself (and its mail server): reachable while the Nextcloud stand-in is faulted,
# otherwise maintenance mode could never be switched off again from the browser.
_OUTSIDE_FAULTS = ("/apps/sandbox/", "/apps/mail/")
_PREFIXES = _OUTSIDE_FAULTS + ("/apps/files/", "/apps/calendar/", "/apps/tasks/", "/f/",
                               "/apps/dav/invitation/", "/call/")
_ROOTS = ("", "/", "/apps/files", "/apps/calendar", "/apps/tasks", "/apps/mail", "/apps/sandbox")

_URLS = Map([
    Rule("/", endpoint="root"),
    Rule("/apps/sandbox/", endpoint=home.index),
    Rule("/apps/sandbox/login", endpoint=home.login, methods=["GET", "POST"]),
    Rule("/apps/sandbox/logout", endpoint=home.logout, methods=["POST"]),
    Rule("/apps/sandbox/mailbox", endpoint=home.mailbox_login, methods=["POST"]),
    Rule("/apps/sandbox/control", endpoint=control.index, methods=["GET", "POST"]),
    Rule("/apps/files/", endpoint=files.index),
    Rule("/apps/files/files/<int:fileid>", endpoint=files.by_id),
    Rule("/apps/files/pending/<int:share_id>", endpoint=files.answer_pending, methods=["POST"]),
    Rule("/f/<int:fileid>", endpoint=files.permalink),
    Rule("/apps/calendar/", endpoint=calendar.index),
    Rule("/apps/calendar/reply", endpoint=calendar.reply, methods=["POST"]),
    Rule("/apps/calendar/<path:view>", endpoint=calendar.index),
    Rule("/apps/tasks/", endpoint=tasks.index),
    Rule("/apps/tasks/toggle", endpoint=tasks.toggle, methods=["POST"]),
    Rule("/call/<token>", endpoint=talk.conversation),
    Rule("/apps/mail/", endpoint=mail.inbox),
    Rule("/apps/mail/box/<address>", endpoint=mail.inbox),
    Rule("/apps/mail/message/<message_id>", endpoint=mail.message),
    Rule("/apps/dav/invitation/accept/<token>", endpoint=invitations.accept),
    Rule("/apps/dav/invitation/decline/<token>", endpoint=invitations.decline),
    Rule("/apps/dav/invitation/moreOptions/<token>", endpoint=invitations.more_options, methods=["GET", "POST"]),
])
# Nextcloud's invitation answer pages are public: the link in the mail is the credential.
_PUBLIC = {"root", home.login, home.mailbox_login, invitations.accept, invitations.decline,
           invitations.more_options}
# What a mailbox-only session (an address without a sandbox account) may open besides the public pages.
_MAILBOX_ONLY = {mail.inbox, mail.message, home.logout}


def _local(path):
    """The path without the `/index.php` front controller: both forms work, as in Nextcloud."""
    return path[len("/index.php"):] if path == "/index.php" or path.startswith("/index.php/") else path


def handles(path):
    local = _local(path)
    return local in _ROOTS or local.startswith(_PREFIXES)


def outside_faults(path):
    local = _local(path)
    return local in ("", "/", "/apps/sandbox", "/apps/mail") or local.startswith(_OUTSIDE_FAULTS)


class WebPages:
    """The WSGI app of one organisation's pages."""

    def __init__(self, org):
        self.org = org
        self.sessions = Sessions(org.key)
        self.invitation_secret = secrets.token_bytes(32)  # signs the answer links in invitation mails

    def __call__(self, environ, start_response):
        request = Request(environ)
        page = Page(self.org, request, self.sessions.get(request), self.sessions)
        try:
            endpoint, values = _URLS.bind_to_environ(environ).match(_local(request.path))
            if endpoint == "root":
                response = redirect(home.HOME, 303)
            elif page.session is None and endpoint not in _PUBLIC:
                response = login_redirect(request)
            elif page.mailbox and endpoint not in _PUBLIC | _MAILBOX_ONLY:
                response = login_redirect(request)  # a mailbox is no account: sign in with one to go on
            else:
                response = endpoint(page, **values)
        except HTTPException as error:
            response = error.get_response(environ) if error.code is None or error.code < 400 else \
                _error_page(page, error)
        response.headers["Cache-Control"] = "no-store"
        return response(environ, start_response)


_ERRORS = {400: ("Ongeldig verzoek", "Dit verzoek kan de sandbox niet verwerken."),
           403: ("Geen toegang", "Deze pagina is niet voor jouw account."),
           404: ("Niet gevonden", "Deze pagina bestaat niet (meer)."),
           405: ("Niet toegestaan", "Deze pagina kun je zo niet openen; ga terug en gebruik de knoppen.")}


def _error_page(page, error):
    """A Dutch error page; a description the pages wrote themselves is kept, werkzeug's English one not."""
    title, message = _ERRORS.get(error.code, ("Er ging iets mis", "Probeer het opnieuw."))
    if error.description and error.description != type(error).description:
        message = error.description
    return page.render("web/error.html", status=error.code, title=title, message=message)


def make_web_app(org):
    return WebPages(org)
