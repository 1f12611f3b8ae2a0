"""What every sandbox web page shares: the Jinja templates, the signed-in user, forms with a CSRF token."""

from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.exceptions import BadRequest
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent.parent / "templates"),
                        autoescape=select_autoescape(["html"]))
# The demo organisations are Dutch; Nextcloud shows times in the user's zone.
ZONE = ZoneInfo("Europe/Amsterdam")
_DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
_MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december")


def dutch_date(value):
    """"dinsdag 15 januari 2030", or "… om 09:00" for a moment (shown in the Dutch zone)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        moment = moment.astimezone(ZONE)
        return f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} {moment.year} " \
               f"om {moment:%H:%M}"
    if isinstance(value, date):
        return f"{_DAYS[value.weekday()]} {value.day} {_MONTHS[value.month - 1]} {value.year}"
    return str(value)


def dutch_span(start, end):
    """"dinsdag 15 januari 2030, 15:00–17:00" for one day; "… (hele dag)" for an all-day event."""
    if isinstance(start, datetime) and isinstance(end, datetime):
        first = (start if start.tzinfo else start.replace(tzinfo=timezone.utc)).astimezone(ZONE)
        last = (end if end.tzinfo else end.replace(tzinfo=timezone.utc)).astimezone(ZONE)
        if first.date() == last.date():
            return f"{dutch_date(first.date())}, {first:%H:%M}–{last:%H:%M}"
    elif isinstance(start, date) and not isinstance(start, datetime):
        if end is None or end == start or (isinstance(end, date) and (end - start).days == 1):
            return f"{dutch_date(start)} (hele dag)"
    if end is None or end == start:
        return dutch_date(start)
    return f"{dutch_date(start)} tot {dutch_date(end)}"


TEMPLATES.filters["dutch_date"] = dutch_date
TEMPLATES.filters["dutch_span"] = dutch_span


@dataclass
class Page:
    """One request's view of the sandbox: the organisation, the session (None when signed out)."""

    org: object
    request: object
    session: object
    sessions: object

    @property
    def uid(self):
        return self.session.uid if self.session else None

    @property
    def user(self):
        return self.org.state.user(self.uid)

    @property
    def mailbox(self):
        """The address of a mailbox-only session ("" for an account's session or none)."""
        return self.session.mailbox if self.session is not None and self.session.uid is None else ""

    def render(self, template, status=200, **context):
        notice = ""
        if self.session is not None and self.session.notice:
            notice, self.session.notice = self.session.notice, ""
        html = TEMPLATES.get_template(template).render(
            org=self.org, user=self.user, mailbox=self.mailbox, csrf=self.session.csrf if self.session else "",
            notice=notice,
            sandbox=self.org.sandbox, **context)
        return Response(html, status=status, content_type="text/html; charset=utf-8")

    def checked_form(self):
        """The POSTed form after its CSRF token was checked (400 otherwise)."""
        form = self.request.form
        if self.session is None or form.get("csrf") != self.session.csrf:
            raise BadRequest("Het formulier is verlopen. Laad de pagina opnieuw en probeer het nog eens.")
        return form

    def back(self, location, notice=""):
        """A 303 back to a page, with a one-time notice for it."""
        if notice and self.session is not None:
            self.session.notice = notice
        return redirect(location, 303)


def login_redirect(request):
    target = request.full_path.rstrip("?") if request.query_string else request.path
    if request.method != "GET":  # a form sent after the session ended: back to the page it came from
        target = request.path.rsplit("/", 1)[0] + "/"
    return redirect("/index.php/apps/sandbox/login?redirect_url=" + quote(target, safe=""), 303)


def safe_target(value):
    """Only paths on this server are followed after sign-in (no open redirect)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/index.php/apps/sandbox/"
