"""The web page for shops: sign in with the shop's token, paste a feed URL or choose a file, watch the
audit (the page reloads itself with <meta refresh> while it runs: no script needed), then read the HTML
report and download JSON, CSV or SARIF. Server-rendered HTML, every value escaped.

The token is kept in an HttpOnly, SameSite=Strict cookie, so another site cannot post forms with it.
"""

from __future__ import annotations

import asyncio
from html import escape
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from feedaudit import profiles
from feedaudit.service.api import ApiError, authorize, queue_submission, report_response
from feedaudit.service.intake import IntakeError, read_submission
from feedaudit.service.models import audit_view
from feedaudit.service.results import FORMATS
from feedaudit.service.store import Audit, Token

COOKIE = "feedaudit_token"
REFRESH_SECONDS = 1
DOWNLOADS = ("json", "csv", "sarif")

router = APIRouter(include_in_schema=False)

STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem 1.5rem; color: #1b1b1b; }
header { display: flex; justify-content: space-between; align-items: baseline; border-bottom: 1px solid #ccc; }
label { display: block; font-weight: 600; margin-top: 1rem; } input[type=url], input[type=password], select {
  width: 100%; max-width: 36rem; padding: .4rem; font: inherit; } button { margin-top: 1rem; padding: .4rem 1rem;
  font: inherit; } .hint { color: #555; font-size: .9rem; } .error { color: #b00020; font-weight: 600; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem .5rem;
  border-bottom: 1px solid #ddd; } iframe { width: 100%; height: 70vh; border: 1px solid #ccc; }
a:focus, input:focus, button:focus, select:focus { outline: 3px solid #0b5394; outline-offset: 2px; }
""".strip()


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _page(
    title: str, body: str, *, token: Token | None = None, refresh: int | None = None, status: int = 200
) -> HTMLResponse:
    meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh is not None else ""
    account = ""
    if token is not None:
        account = (
            f'<form method="post" action="/logout"><span>Shop: <strong>{_e(token.shop)}</strong></span> '
            '<button type="submit">Sign out</button></form>'
        )
    html = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{meta}<title>{_e(title)} · feedaudit</title><style>{STYLE}</style></head><body>"
        f'<header><p><a href="/">feedaudit</a></p>{account}</header>'
        f"<main><h1>{_e(title)}</h1>{body}</main></body></html>\n"
    )
    return HTMLResponse(html, status_code=status)


def _token(request: Request) -> Token | None:
    secret = request.cookies.get(COOKIE)
    if not secret:
        return None
    token: Token | None = request.app.state.service.store.token_for(secret)
    return token


def _login(error: str | None = None, status: int = 200) -> HTMLResponse:
    message = f'<p class="error" role="alert">{_e(error)}</p>' if error else ""
    body = (
        f"{message}<p>Sign in with your shop's API token to audit feeds.</p>"
        '<form method="post" action="/login">'
        '<label for="token">API token</label>'
        '<input id="token" name="token" type="password" required autocomplete="current-password">'
        '<button type="submit">Sign in</button></form>'
    )
    return _page("Sign in", body, status=status)


def _dashboard(request: Request, token: Token, error: str | None = None, status: int = 200) -> HTMLResponse:
    service = request.app.state.service
    message = f'<p class="error" role="alert">{_e(error)}</p>' if error else ""
    names = "".join(f'<option value="{_e(name)}">{_e(name)}</option>' for name in profiles.names())
    inventories = ""
    if service.settings.inventories:
        options = "".join(f'<option value="{_e(n)}">{_e(n)}</option>' for n in sorted(service.settings.inventories))
        inventories = (
            '<label for="inventory">Compare with inventory</label>'
            f'<select id="inventory" name="inventory"><option value="">none</option>{options}</select>'
        )
    form = (
        '<h2>Audit a feed</h2><form method="post" action="/audits" enctype="multipart/form-data">'
        '<label for="url">Feed URL</label>'
        '<input id="url" name="url" type="url" placeholder="https://shop.example/feed.xml" aria-describedby="either">'
        '<label for="feed">or a feed file</label>'
        '<input id="feed" name="feed" type="file" accept=".xml,.yml,.gz,.zip,application/xml,application/gzip">'
        '<p id="either" class="hint">Give a URL or a file (XML, gzip or zip).</p>'
        '<label for="profile">Marketplace profile</label>'
        f'<select id="profile" name="profile"><option value="">from the feed</option>{names}</select>'
        f'{inventories}<button type="submit">Audit</button></form>'
    )
    audits = service.store.list(token.shop if not token.admin else None, limit=20)
    rows = "".join(
        f'<tr><td><a href="/audits/{a.id}">{_e(a.name)}</a></td><td>{_e(a.status)}</td>'
        f"<td>{_e(a.submitted_at.strftime('%Y-%m-%d %H:%M'))} UTC</td>"
        f"<td>{_e(a.summary['findings'] if a.summary else '')}</td></tr>"
        for a in audits
    )
    recent = "<h2>Recent audits</h2>" + (
        "<table><thead><tr><th scope=col>Feed</th><th scope=col>Status</th><th scope=col>Submitted</th>"
        f"<th scope=col>Findings</th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else "<p>No audits yet.</p>"
    )
    return _page("Audit a product feed", message + form + recent, token=token, status=status)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    token = _token(request)
    return _login() if token is None else _dashboard(request, token)


@router.post("/login")
def login(request: Request, token: Annotated[str, Form()] = "") -> Response:
    if request.app.state.service.store.token_for(token.strip()) is None:
        return _login("That token is not valid.", status=401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.post("/audits")
async def submit(request: Request) -> Response:
    service = request.app.state.service
    secret = request.cookies.get(COOKIE)
    try:
        token = await asyncio.to_thread(authorize, service, secret)
    except ApiError as exc:
        if exc.status == 401:
            return _login("Sign in first.", status=401)
        raise
    try:
        submission = await read_submission(request, service.settings)
        audit = await queue_submission(service, submission, token)
    except IntakeError as exc:
        return await asyncio.to_thread(_dashboard, request, token, exc.detail, exc.status)
    except ApiError as exc:
        page = await asyncio.to_thread(_dashboard, request, token, exc.detail, exc.status)
        for name, value in (exc.headers or {}).items():
            page.headers[name] = value
        return page
    return RedirectResponse(f"/audits/{audit.id}", status_code=303)


def _visible(request: Request, audit_id: str) -> tuple[Token | None, Audit | None]:
    token = _token(request)
    if token is None:
        return None, None
    return token, request.app.state.service.visible(audit_id, token)


@router.get("/audits/{audit_id}", response_class=HTMLResponse)
def audit_page(request: Request, audit_id: str) -> HTMLResponse:
    token, audit = _visible(request, audit_id)
    if token is None:
        return _login("Sign in to see this audit.", status=401)
    if audit is None:
        return _page("No such audit", '<p><a href="/">Back to your audits</a></p>', token=token, status=404)
    view = audit_view(audit)
    facts = f"<p>Feed: <strong>{_e(view.feed)}</strong></p>"
    if audit.status in ("queued", "running"):
        fraction = view.progress.fraction
        shown = f"{fraction:.0%}" if fraction is not None else f"{view.progress.bytes_read:,} bytes read"
        meter = (
            f'<progress id="progress" max="1" value="{fraction}">{_e(shown)}</progress>'
            if fraction is not None
            else f'<progress id="progress">{_e(shown)}</progress>'
        )
        body = (
            f'{facts}<p role="status">The audit is {_e(audit.status)}: {_e(shown)}. This page reloads by itself.</p>'
            f'<label for="progress">Progress</label>{meter}'
        )
        return _page("Audit in progress", body, token=token, refresh=REFRESH_SECONDS)
    if audit.status == "failed":
        body = (
            f'{facts}<p class="error" role="alert">The audit failed: {_e(audit.error)}</p>'
            '<p><a href="/">Audit another feed</a></p>'
        )
        return _page("Audit failed", body, token=token)
    summary = view.summary
    assert summary is not None
    counts = ", ".join(_count(n, s) for s, n in summary.by_severity.items() if n) or "nothing to fix"
    links = " ".join(
        f'<li><a href="/audits/{audit.id}/report.{fmt}" download>Download {fmt.upper()}</a></li>' for fmt in DOWNLOADS
    )
    body = (
        f'{facts}<p role="status">{summary.findings:,} findings ({_e(counts)}) in {summary.offers:,} offers.</p>'
        f"<h2>Downloads</h2><ul>{links}</ul>"
        f'<h2>Report</h2><iframe title="Audit report" src="/audits/{audit.id}/report.html" sandbox></iframe>'
        '<p><a href="/">Audit another feed</a></p>'
    )
    return _page("Audit report", body, token=token)


def _count(number: int, severity: str) -> str:
    return f"{number:,} {severity}" + ("s" if number != 1 and severity != "info" else "")


@router.get("/audits/{audit_id}/report.{output_format}")
async def page_report(request: Request, audit_id: str, output_format: str) -> Response:
    token, audit = await asyncio.to_thread(_visible, request, audit_id)
    if token is None:
        return _login("Sign in to see this report.", status=401)
    if audit is None or output_format not in FORMATS:
        return _page("No such report", '<p><a href="/">Back to your audits</a></p>', token=token, status=404)
    try:
        return await report_response(request, audit, output_format, download=output_format != "html")
    except ApiError as exc:
        return _page("No report yet", f"<p>{_e(exc.detail)}</p>", token=token, status=exc.status)
