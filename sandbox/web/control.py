"""The fault control page: the switches of sandbox/faults.py (latency, 429, 503, maintenance, token lifetime)
flipped from the browser, so a demo can show how the app behaves when Nextcloud is slow or unavailable."""

CONTROL_URL = "/index.php/apps/sandbox/control"


class _Invalid(Exception):
    """A form field out of range; its name is the message."""


def _number(form, name, low, high, cast=float):
    try:
        value = cast(form.get(name, ""))
    except ValueError:
        raise _Invalid(name) from None
    if not low <= value <= high:
        raise _Invalid(name)
    return value


_LABELS = {"latency": "Vertraging", "rate_503": "Kans op 503", "rate_429": "Kans op 429",
           "retry_after": "Retry-After", "token_lifetime": "Levensduur toegangstoken", "count": "Aantal"}


def index(page):
    faults = page.org.faults
    if page.request.method == "POST":
        form = page.checked_form()
        action = form.get("action", "")
        try:
            message = _apply(page.org, faults, form, action)
        except _Invalid as invalid:
            message = f"„{_LABELS[str(invalid)]}” heeft een ongeldige waarde; er is niets gewijzigd."
        return page.back(CONTROL_URL, message)
    return page.render("web/control.html", faults=faults)


def _apply(org, faults, form, action):
    if action == "reset":
        faults.reset()
        return "Alle storingen zijn uitgezet."
    if action == "expire":
        org.expire_access_tokens()
        return "Alle toegangstokens zijn nu verlopen; de app moet ze vernieuwen."
    if action == "fail":
        status = 429 if form.get("status") == "429" else 503
        count = _number(form, "count", 1, 1000, int)
        faults.fail_next(status, count)
        return f"De volgende {count} verzoeken krijgen {status}."
    latency = _number(form, "latency", 0, 30)
    rate_503 = _number(form, "rate_503", 0, 100) / 100
    rate_429 = _number(form, "rate_429", 0, 100) / 100
    retry_after = _number(form, "retry_after", 0, 3600, int)
    token_lifetime = _number(form, "token_lifetime", 1, 86400 * 30, int)
    faults.latency = latency
    faults.error_rate = {503: rate_503, 429: rate_429}
    faults.retry_after = retry_after
    faults.maintenance = form.get("maintenance") == "on"
    faults.token_lifetime = token_lifetime
    return "De instellingen zijn opgeslagen."
