"""The sandbox's start page per organisation, its sign-in and its sign-out."""

import re

from werkzeug.utils import redirect

from sandbox.web.base import safe_target
from sandbox.web.mail import MAIL_URL, account_addresses

_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

HOME = "/index.php/apps/sandbox/"


def index(page):
    users = sorted(page.org.state.users.values(), key=lambda u: u.uid)
    return page.render("web/index.html", users=users, smtp=page.org.sandbox.smtp)


def login(page):
    request = page.request
    target = safe_target(request.values.get("redirect_url", ""))
    if page.session is not None and not page.mailbox and request.method == "GET":
        return redirect(target, 303)
    login_name, error, status = "", "", 200
    if request.method == "POST":
        login_name = request.form.get("user", "")
        uid = page.org.state.check_password(login_name, request.form.get("password", ""))
        if uid is not None:
            response = redirect(target, 303)
            page.sessions.set_cookie(response, page.sessions.start(uid))
            return response
        error, status = "Onjuiste gebruikersnaam of wachtwoord. Probeer het opnieuw.", 401
    return page.render("web/login.html", status=status, login=login_name, error=error, redirect_url=target)


def mailbox_login(page):
    """Someone without a sandbox account (a member without Nextcloud) reads the mail sent to their address,
    as they would in their own mail program; an address of an account needs that account's password."""
    address = page.request.form.get("address", "").strip().lower()
    error = ""
    if not _ADDRESS.fullmatch(address):
        error = "Vul een e-mailadres in, bijvoorbeeld iris@kompas.example."
    elif address in account_addresses(page.org.sandbox):
        error = "Dit adres hoort bij een sandbox-account: log hierboven in met dat account en het wachtwoord."
    if error:
        return page.render("web/login.html", status=400, login="", error="", address=address,
                           address_error=error, redirect_url=safe_target(page.request.values.get("redirect_url", "")))
    response = redirect(MAIL_URL, 303)
    page.sessions.set_cookie(response, page.sessions.start(None, mailbox=address))
    return response


def logout(page):
    page.checked_form()
    page.sessions.end(page.request)
    response = redirect("/index.php/apps/sandbox/login", 303)
    page.sessions.clear_cookie(response)
    return response
