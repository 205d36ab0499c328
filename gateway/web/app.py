"""The review console's pages: log in, held mail, one message, and the decisions on it.

Every read and decision goes through gateway.control.moderator (the relay over its admin
socket, or the Moderator itself where the console owns the data), as the CLI's, and is
made in the name of the person logged in: four eyes, "not your own mail" and the audit log
see them, not the service user the console runs as. The console keeps no state but its
sessions and its failed-login counts.
"""
from __future__ import annotations

import json
import logging
import secrets
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from gateway import control
from gateway.config import CATEGORIES, Settings
from gateway.database import audit
from gateway.database.store import Store
from gateway.passwords import FailureLog, check_password, hash_password
from gateway.quarantine.moderation import (
    REASON_CODES,
    Filters,
    ModerationError,
    justify_releases,
)
from gateway.timefmt import age
from gateway.web.sessions import Session, Sessions, same
from scanners import redact, registry

log = logging.getLogger("mailscreen.web")
HERE = Path(__file__).resolve().parent
COOKIE = "mailscreen_session"
AUDIT_PAGE = 50  # audit rows a page
HELD_PAGE = 50  # held messages a page
LOGIN_COOKIE = "mailscreen_login"  # the login form's CSRF token, before there is a session
JUSTIFY_COOKIE = "mailscreen_justify"  # the sender's form token on the justification page
HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; "
                                      "form-action 'self'"}

REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


class Console:
    def __init__(self, settings: Settings, clock=time.monotonic):
        self.settings = settings
        self.sessions = Sessions(settings.web.session_idle_minutes * 60, clock)
        auth = settings.server.auth  # the same limits and back-off as SMTP AUTH
        self.failures = FailureLog(auth.failure_window, auth.backoff_start, auth.backoff_max)
        self._dummy = hash_password(secrets.token_urlsafe(16))  # unknown users cost the same
        self._store: Store | None = None
        self.rules = registry.rule_descriptions()  # rule id: its sentence (docs/rules.md)
        self.templates = Jinja2Templates(directory=HERE / "templates")
        self.templates.env.globals.update(categories=CATEGORIES, reason_codes=REASON_CODES,
                                          age=age, redact=redact.free_text)
        self.templates.env.filters["fromjson"] = json.loads

    # -- the quarantine API ----------------------------------------------------------------

    def moderator(self, user: str | None, write: bool = False):
        return control.moderator(self.settings, self._open_store, write, user)

    def _open_store(self, settings: Settings, write: bool) -> Store:
        """Only without a running relay, for a console run as the service user."""
        if self._store is None:
            store = audit.configure(Store(settings.db_url).create(), settings.key_path,
                                    settings.anchor_path, create=write, node=settings.node_name)
            audit.check_key(store)
            self._store = store
        return self._store

    def role(self, user: str) -> str | None:
        """"readonly" for web.readonly_users, "admin" for the members of admin.group (the
        admins of the CLI), else nobody the console lets in."""
        if user in self.settings.web.readonly_users:
            return "readonly"
        if self.settings.admin.group in control.user_groups(user):
            return "admin"
        return None

    # -- responses -------------------------------------------------------------------------

    def page(self, request: Request, name: str, status: int = 200, **context) -> Response:
        response = self.templates.TemplateResponse(request, name, context, status_code=status)
        response.headers.update(HEADERS)
        return response

    def refuse(self, why: str, status: int = 403) -> Response:
        return Response(why + "\n", status_code=status, media_type="text/plain",
                        headers=HEADERS)

    def cookie(self, response: Response, name: str, value: str) -> None:
        response.set_cookie(name, value, httponly=True, samesite="strict", path="/",
                            secure=self.settings.web.cookie_secure)

    def session(self, request: Request) -> Session | None:
        return self.sessions.get(request.cookies.get(COOKIE))

    # -- logging in ------------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        if request.method == "GET":
            return self.login_page(request)
        form = await request.form()
        if not same(form.get("csrf"), request.cookies.get(LOGIN_COOKIE)):
            return self.refuse("the login form has expired: load the page again")
        user, password = str(form.get("user", "")).strip(), str(form.get("password", ""))
        peer = request.client.host if request.client else "?"
        auth = self.settings.server.auth
        wait = max(self.failures.wait(peer, auth.max_failures_per_address),
                   self.failures.wait((user, peer), auth.max_failures_per_user))
        if wait:  # backed off: no password is checked
            log.warning("console login for %r from %s refused: backing off after failures",
                        user[:64], peer)
            return self.login_page(request, f"Too many failed logins: try again in "
                                            f"{int(wait) + 1} seconds.", 429)
        try:
            role = await run_in_threadpool(self._check, user, password)
        except ModerationError as e:
            return self.login_page(request, f"The console cannot reach the quarantine: {e}", 503)
        if role is None:
            self.failures.add(peer)
            self.failures.add((user, peer))
            log.info("console login failed for %r from %s", user[:64], peer)
            return self.login_page(request, "Wrong user name or password.", 401)
        log.info("console login of %s (%s) from %s", user, role, peer)
        response = RedirectResponse("/", status_code=303, headers=HEADERS)
        self.cookie(response, COOKIE, self.sessions.start(user, role == "readonly"))
        response.delete_cookie(LOGIN_COOKIE, path="/")
        return response

    def _check(self, user: str, password: str) -> str | None:
        """The person's role if the password is theirs; an unknown user costs the same."""
        role = self.role(user) if user else None
        stored = self.moderator(None).password_hash(user) if role else None
        ok = check_password(password, stored or self._dummy)
        return role if ok and stored else None

    def login_page(self, request: Request, error: str = "", status: int = 200) -> Response:
        token = secrets.token_urlsafe(32)
        response = self.page(request, "login.html", status, csrf=token, error=error)
        self.cookie(response, LOGIN_COOKIE, token)
        return response

    async def logout(self, request: Request) -> Response:
        session = self.session(request)
        form = await request.form()
        if session is None or not same(form.get("csrf"), session.csrf):
            return self.refuse("missing or wrong form token")
        self.sessions.end(request.cookies.get(COOKIE))
        response = RedirectResponse("/login", status_code=303, headers=HEADERS)
        response.delete_cookie(COOKIE, path="/")
        return response

    # -- pages -----------------------------------------------------------------------------

    async def held_list(self, request: Request) -> Response:
        """Held mail, HELD_PAGE rows a page (?page=N), filtered, sorted and cut in SQL; the
        outcome of a bulk decision, if one just redirected here, shown once."""
        session = self.session(request)
        if session is None:
            return RedirectResponse("/login", status_code=303, headers=HEADERS)
        done, refused = session.flash or ((), ())
        session.flash = None
        q = request.query_params
        chosen = {k: q.get(k) or None for k in ("category", "rule", "sender")}
        oldest = q.get("sort") == "oldest"
        number = page_number(q.get("page", ""))
        shown = dict(session=session, chosen=chosen, oldest=oldest, rules=sorted(self.rules),
                     done=done, refused=refused, number=number, pages=1, total=0,
                     back=list_url(chosen, oldest, number),
                     link=lambda n: list_url(chosen, oldest, n))
        failed = 400  # a filter nobody knows, else the quarantine cannot be reached
        try:
            filters = Filters(status="held", oldest=oldest, **chosen).check(self.rules)
            failed = 503

            def read():
                m = self.moderator(session.user)
                total = m.count(filters)
                last = max(1, -(-total // HELD_PAGE))
                offset = (min(number, last) - 1) * HELD_PAGE
                return total, last, m.find(filters, HELD_PAGE, offset)

            total, pages, rows = await run_in_threadpool(read)
        except ModerationError as e:
            return self.page(request, "list.html", failed, rows=[], error=str(e), **shown)
        number = min(number, pages)
        shown.update(total=total, pages=pages, number=number,
                     back=list_url(chosen, oldest, number))
        return self.page(request, "list.html", rows=rows, error="", **shown)

    async def message(self, request: Request, error: str = "", status: int = 200) -> Response:
        session = self.session(request)
        if session is None:
            return RedirectResponse("/login", status_code=303, headers=HEADERS)
        ref = request.path_params["ref"]
        try:
            row = await run_in_threadpool(lambda: self.moderator(session.user).get(ref))
        except ModerationError as e:
            return self.page(request, "error.html", 404, session=session, error=str(e))
        return self.page(request, "message.html", status, session=session, row=row,
                         rules=self.rules, error=error,
                         done=request.query_params.get("done", ""),
                         found_in=found_in(row.finding_dicts),
                         raw_access=control.raw_access(self.settings, session.user))

    async def raw(self, request: Request) -> Response:
        """The quarantined message as it came in, for members of admin.raw_access_group
        only: the relay refuses it to anyone else, as it does `held show --raw`."""
        session = self.session(request)
        if session is None:
            return RedirectResponse("/login", status_code=303, headers=HEADERS)
        if not control.raw_access(self.settings, session.user):
            return self.refuse(f"reading quarantined mail needs membership of the group "
                               f"{self.settings.admin.raw_access_group!r}")
        ref = request.path_params["ref"]

        def read():
            m = self.moderator(session.user)
            row = m.get(ref)
            return row.id, m.raw(row)

        try:
            msg_id, raw = await run_in_threadpool(read)
        except ModerationError as e:
            return self.refuse(str(e), 404)
        log.info("console: %s read the raw message %s", session.user, msg_id)
        return Response(raw, media_type="message/rfc822", headers={
            **HEADERS, "Content-Disposition": f'attachment; filename="{msg_id}.eml"'})

    async def audit_log(self, request: Request) -> Response:
        """The audit log, newest first, PAGE rows a page (?before= the last id shown); with
        ?verify= the chain is checked as `mailscreen audit verify` checks it."""
        session = self.session(request)
        if session is None:
            return RedirectResponse("/login", status_code=303, headers=HEADERS)
        q = request.query_params
        before = int(q["before"]) if q.get("before", "").isdigit() else None

        def read():
            m = self.moderator(session.user)
            rows = m.audit_page(before, AUDIT_PAGE + 1)
            return rows, m.audit_verify() if q.get("verify") else None

        try:
            rows, check = await run_in_threadpool(read)
        except ModerationError as e:
            return self.page(request, "error.html", 503, session=session, error=str(e))
        more = rows[AUDIT_PAGE - 1].id if len(rows) > AUDIT_PAGE else None
        return self.page(request, "audit.html", session=session, rows=rows[:AUDIT_PAGE],
                         check=check, before=before, more=more)

    async def weekly_report(self, request: Request) -> Response:
        """The weekly report as `report weekly --format html` makes it (?week=2026-W47),
        served as it is with a link back: it is one self-contained page (inline CSS and
        SVG, no scripts), so only inline styles are let in."""
        session = self.session(request)
        if session is None:
            return RedirectResponse("/login", status_code=303, headers=HEADERS)
        week = request.query_params.get("week") or None
        try:
            html = await run_in_threadpool(
                lambda: self.moderator(session.user).weekly_report_html(week))
        except ModerationError as e:
            return self.page(request, "error.html", 400 if week else 503, session=session,
                             error=str(e))
        back = ('<form method="get" action="/report"><a href="/">← held mail</a> · '
                '<label>week <input name="week" placeholder="2026-W47"></label> '
                '<button type="submit">Show</button> (the last complete week unless given)'
                '</form>')
        return Response(html.replace("<body>", "<body>\n" + back, 1), media_type="text/html",
                        headers={**HEADERS, "Content-Security-Policy": REPORT_CSP})

    async def _decider(self, request: Request):
        """(session, form, None) for a logged-in admin (not a read-only one) whose form
        carries their session's token; else (None, None, the refusal)."""
        session = self.session(request)
        form = await request.form()
        if session is None:
            return None, None, self.refuse("not logged in")
        if not same(form.get("csrf"), session.csrf):
            return None, None, self.refuse("missing or wrong form token")
        if session.readonly:
            return None, None, self.refuse(
                f"{session.user} may look at held mail but not decide on it")
        return session, form, None

    async def decide(self, request: Request) -> Response:
        """Approve, release or reject: a logged-in admin (not a read-only one), with the
        form's token of their session; a refusal of the Moderator is shown on the page."""
        session, form, refused = await self._decider(request)
        if refused is not None:
            return refused
        ref, action = request.path_params["ref"], request.path_params["action"]
        if action not in ("approve", "release", "reject"):
            return self.refuse(f"no such action {action!r}", 404)
        reason = str(form.get("reason", "")).strip()

        def act():
            m = self.moderator(session.user, write=True)
            if action == "approve":
                return m.approve(ref, reason)
            if action == "release":
                return m.release(ref, str(form.get("reason_code", "")), reason)
            return m.reject(ref, reason, notify=form.get("notify") == "on")

        try:
            row = await run_in_threadpool(act)
        except ModerationError as e:
            return await self.message(request, str(e), 409)
        log.info("console: %s %s %s", session.user, action, row.id)
        return RedirectResponse(f"/held/{row.id}?done={action}", status_code=303,
                                headers=HEADERS)

    async def decide_many(self, request: Request) -> Response:
        """Release or reject the messages ticked on the held list, one reason for all, each
        decided on its own in the person's name: one the Moderator refuses (four eyes, their
        own mail, decided meanwhile) is listed with why, and the others go. The answer is
        a redirect to the list the form came from (Post/Redirect/Get: reloading the page
        decides nothing again), which shows the outcome once, from the session."""
        session, form, refused = await self._decider(request)
        if refused is not None:
            return refused
        action = str(form.get("action", ""))
        if action not in ("release", "reject"):
            return self.refuse(f"no such action {action!r}", 400)
        ids = [str(i) for i in form.getlist("id")]
        reason, code = str(form.get("reason", "")).strip(), str(form.get("reason_code", ""))
        back = dict(parse_qsl(urlsplit(str(form.get("back", ""))).query))
        back = list_url({k: back.get(k) for k in ("category", "rule", "sender")},
                        back.get("sort") == "oldest", page_number(back.get("page", "")))

        def act():
            m = self.moderator(session.user, write=True)
            done, refused = [], []
            for ref in ids:
                try:
                    row = m.release(ref, code, reason) if action == "release" else \
                        m.reject(ref, reason, notify=form.get("notify") == "on")
                    done.append(row.id)
                except ModerationError as e:
                    refused.append((ref, str(e)))
            return done, refused

        if not ids or not reason:
            done, refused = [], [("", "a reason is required" if ids else
                                  "no message was ticked")]
        else:
            try:
                done, refused = await run_in_threadpool(act)
            except ModerationError as e:  # the quarantine cannot be reached at all
                done, refused = [], [("", str(e))]
            log.info("console: %s %s %d message(s), %d refused", session.user, action,
                     len(done), len(refused))
        session.flash = (tuple(done), tuple(refused))
        return RedirectResponse(back, status_code=303, headers=HEADERS)


    # -- the sender's page: no login, only the token of the hold notice's link ----------

    async def justify(self, request: Request) -> Response:
        """What was found (redacted, as the message page shows it) and the sender's two
        choices. Looking spends nothing; the token is spent by the action (the Moderator
        checks it again then). The form carries its own token, matched by a cookie."""
        token = request.path_params["token"]
        if request.method == "POST":
            return await self.justify_act(request, token)
        try:
            row = await run_in_threadpool(lambda: self.moderator(None).by_token(token))
        except ModerationError as e:
            return self.page(request, "justify.html", 403, row=None, error=str(e))
        return self.justify_page(request, row)

    def justify_page(self, request: Request, row, error: str = "",
                     status: int = 200) -> Response:
        csrf = secrets.token_urlsafe(32)
        response = self.page(request, "justify.html", status, row=row, error=error, csrf=csrf,
                             rules=registry.rule_descriptions(), done="",
                             releases=justify_releases(self.settings, row),
                             max_chars=self.settings.justify.max_chars)
        self.cookie(response, JUSTIFY_COOKIE, csrf)
        return response

    async def justify_act(self, request: Request, token: str) -> Response:
        form = await request.form()
        if not same(form.get("csrf"), request.cookies.get(JUSTIFY_COOKIE)):
            return self.refuse("the form has expired: load the page again")
        action, text = str(form.get("action", "")), str(form.get("justification", ""))
        if action not in ("justify", "withdraw"):
            return self.refuse(f"no such action {action!r}", 400)

        def act():
            m = self.moderator(None, write=True)
            return m.justify(token, text) if action == "justify" else m.withdraw(token)

        try:
            row = await run_in_threadpool(act)
        except ModerationError as e:
            try:  # still usable (a justification too long, or empty): the form again
                row = await run_in_threadpool(lambda: self.moderator(None).by_token(token))
            except ModerationError:
                return self.page(request, "justify.html", 409, row=None, error=str(e))
            return self.justify_page(request, row, str(e), 409)
        done = "withdrawn" if action == "withdraw" else \
            "released" if row.status == "released" else "attached"
        log.info("console: %s %s by its sender", row.id, done)
        response = self.page(request, "justify.html", row=row, error="", done=done,
                             rules=registry.rule_descriptions())
        response.delete_cookie(JUSTIFY_COOKIE, path="/")
        return response


def page_number(value: str) -> int:
    return max(1, int(value)) if value.isdigit() and len(value) < 10 else 1


def list_url(chosen: dict, oldest: bool, number: int) -> str:
    """The held list with these filters, order and page (never another site)."""
    query = urlencode({k: v for k, v in chosen.items() if v} |
                      ({"sort": "oldest"} if oldest else {}) |
                      ({"page": number} if number > 1 else {}))
    return f"/?{query}" if query else "/"


def found_in(findings: list[dict]) -> dict[str, list[dict]]:
    """The findings of each attachment by its name: "attachment:NAME" and its pages,
    sheets or parts ("attachment:NAME#page=2")."""
    grouped: dict[str, list[dict]] = {}
    for f in findings:
        where = f.get("where", "").split("#")[0]
        if where.startswith("attachment:"):
            grouped.setdefault(where.removeprefix("attachment:"), []).append(f)
    return grouped


def create_app(settings: Settings, clock=time.monotonic) -> Starlette:
    console = Console(settings, clock)
    routes = [
        Route("/", console.held_list),
        Route("/login", console.login, methods=["GET", "POST"]),
        Route("/logout", console.logout, methods=["POST"]),
        Route("/held", console.decide_many, methods=["POST"]),
        Route("/audit", console.audit_log),
        Route("/report", console.weekly_report),
        Route("/held/{ref}", console.message),
        Route("/held/{ref}/raw", console.raw),
        Route("/held/{ref}/{action:str}", console.decide, methods=["POST"]),
        Route("/justify/{token}", console.justify, methods=["GET", "POST"]),
        Route("/style.css", lambda _: FileResponse(HERE / "style.css", headers=HEADERS)),
    ]
    app = Starlette(routes=routes)
    app.state.console = console
    return app
