"""The Tasks page: every task list the user sees (own and shared with them) and a tick box per task.

Ticking writes the VTODO back through CalDAV the way Nextcloud's Tasks app does (nextcloud/tasks
src/models/task.js, quirk `tasks_app_completion`): PERCENT-COMPLETE, STATUS and COMPLETED change together (COMPLETED is
removed again on untick) and LAST-MODIFIED and DTSTAMP are bumped, so the app's sync sees a normal change.
"""

from dataclasses import dataclass
from datetime import datetime, timezone

from icalendar import Calendar

from sandbox.web import davclient

TASKS_URL = "/index.php/apps/tasks/"


@dataclass(frozen=True)
class Task:
    calendar: str
    href: str
    etag: str
    summary: str
    description: str
    due: object
    done: bool
    status: str


def _todo(calendar):
    return next((c for c in calendar.walk("VTODO")), None)


def is_done(todo):
    """Tasks app: completed when COMPLETED is set or STATUS is COMPLETED."""
    return todo.get("COMPLETED") is not None or str(todo.get("STATUS", "")).upper() == "COMPLETED"


def _tasks(org, uid, ref):
    found = []
    for item in davclient.objects(org, uid, ref.name):
        todo = _todo(Calendar.from_ical(item.text))
        if todo is None:
            continue
        due = todo.get("DUE").dt if todo.get("DUE") is not None else None
        found.append(Task(ref.name, item.href, item.etag, str(todo.get("SUMMARY", "")) or "(zonder titel)",
                          str(todo.get("DESCRIPTION", "")), due, is_done(todo),
                          str(todo.get("STATUS", "NEEDS-ACTION")).upper()))
    return sorted(found, key=lambda t: (t.done, _sort_key(t.due), t.summary.lower()))


def _sort_key(due):
    if due is None:
        return (1, "")
    if isinstance(due, datetime):
        return (0, due.astimezone(timezone.utc).strftime("%Y%m%d%H%M") if due.tzinfo else due.strftime("%Y%m%d%H%M"))
    return (0, due.strftime("%Y%m%d") + "0000")


def index(page):
    lists = [ref for ref in davclient.calendars(page.org, page.uid) if "VTODO" in ref.components]
    return page.render("web/tasks.html", lists=[(ref, _tasks(page.org, page.uid, ref)) for ref in lists])


def set_done(calendar, done, now=None):
    """Mark the VTODO in `calendar` done or open, as the Tasks app's `complete` setter does."""
    now = now or datetime.now(timezone.utc).replace(microsecond=0)
    todo = _todo(calendar)
    for name in ("PERCENT-COMPLETE", "STATUS", "COMPLETED", "LAST-MODIFIED", "DTSTAMP"):
        if name in todo:
            del todo[name]
    todo.add("PERCENT-COMPLETE", 100 if done else 0)
    todo.add("STATUS", "COMPLETED" if done else "NEEDS-ACTION")
    if done:
        todo.add("COMPLETED", now)
    todo.add("LAST-MODIFIED", now)
    todo.add("DTSTAMP", now)
    return calendar


def toggle(page):
    form = page.checked_form()
    calendar_name, href, done = form.get("calendar", ""), form.get("href", ""), form.get("done") == "1"
    current = davclient.get(page.org, page.uid, calendar_name, href)
    if current is None:
        return page.back(TASKS_URL, "Deze taak bestaat niet meer.")
    if form.get("etag") and form.get("etag") != current.etag:
        return page.back(TASKS_URL, "Deze taak is intussen ergens anders gewijzigd. Bekijk hem en probeer het opnieuw.")
    calendar = Calendar.from_ical(current.text)
    if _todo(calendar) is None:
        return page.back(TASKS_URL, "Dit is geen taak.")
    status = davclient.put(page.org, page.uid, calendar_name, href, set_done(calendar, done).to_ical().decode(),
                           etag=current.etag)
    summary = str(_todo(calendar).get("SUMMARY", ""))
    if status == 403:
        return page.back(TASKS_URL, f"Je mag deze takenlijst alleen bekijken; \"{summary}\" is niet gewijzigd.")
    if status >= 300:
        return page.back(TASKS_URL, f"Opslaan lukte niet (fout {status}). Probeer het opnieuw.")
    return page.back(TASKS_URL, f"\"{summary}\" is afgevinkt." if done else f"\"{summary}\" staat weer open.")

