"""The doctors' questionnaire pages (issue 12): a standalone French form, reached from a personal link.

- `GET /questionnaire/{token}` opens the link once: its token is exchanged for a cookie (HttpOnly,
  SameSite=Strict, on /questionnaire only) and the page moves on to `/questionnaire`. It does so with a refresh
  of its own, not a 303: a link followed from a webmail is a navigation from another site, and Chromium does not
  send a SameSite=Strict cookie on the redirect that ends it (measured); the page's own refresh is same-site.
  The token leaves the address bar and the history (a refresh replaces the entry), no Referer carries it, and
  the server's access log shows `/questionnaire/…` in its place (`HideSurveyTokens`).
- `GET /questionnaire`: the form (with the draft saved), or the thank-you page once answered.
- `POST /questionnaire`: `action=draft` saves what is given; `action=submit` records the answer once, or shows
  the form again with its errors, summarised at the top and next to each question.

No script: radio groups in fieldsets, native keyboard use; a strict Content-Security-Policy (the style sheet
inline under its hash), no cache, no referrer.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import re
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from preserie.domain.as_of import PARIS
from preserie.domain.survey import MAX_TEXT, SCALE_WORDS, SCORE_QUESTIONS, SCORES
from preserie.french import date
from preserie.services import survey
from preserie.services.errors import RegistryError

router = APIRouter(include_in_schema=False)
COOKIE = "preserie_questionnaire"
MAX_FORM_BYTES = 64 * 1024
_TOKEN_IN_PATH = re.compile(r"/questionnaire/[^\s?\"]+")

REFUSALS: dict[str, tuple[int, str, str]] = {  # kind -> status, title, what to do (French)
    "unknown": (404, "Lien inconnu", "Ce lien de questionnaire n'existe pas. Vérifiez qu'il a été copié en "
                "entier, ou demandez un nouveau lien à l'éditeur de votre logiciel."),
    "used": (410, "Lien déjà ouvert", "Ce lien personnel ne s'ouvre qu'une fois, et il l'a déjà été. Pour "
             "répondre depuis cet appareil, demandez un nouveau lien à l'éditeur de votre logiciel."),
    "replaced": (410, "Lien remplacé", "Un lien plus récent vous a été envoyé : utilisez celui-là."),
    "expired": (410, "Lien expiré", "Le délai de réponse est passé. Si vous souhaitez encore répondre, "
                "demandez un nouveau lien à l'éditeur de votre logiciel."),
    "closed": (410, "Questionnaire clos", "La présérie n'attend plus de réponse à ce questionnaire. Merci de "
               "votre participation."),
    "no_session": (401, "Ouvrez votre lien personnel", "Le questionnaire s'ouvre depuis le lien personnel que "
                   "vous avez reçu. Si vous l'avez déjà ouvert sur un autre appareil ou navigateur, demandez un "
                   "nouveau lien à l'éditeur de votre logiciel."),
    "answered": (409, "Réponse déjà enregistrée", "Vous avez déjà répondu à ce questionnaire : votre réponse est "
                 "enregistrée, une seule par lien. Merci de votre participation."),
    "forged": (403, "Formulaire expiré", "Le formulaire n'a pas pu être vérifié. Rechargez la page du "
               "questionnaire et recommencez : votre brouillon enregistré est conservé."),
    "too_large": (413, "Réponse trop longue", "Le formulaire envoyé est trop volumineux. Raccourcissez le "
                  "commentaire et recommencez."),
    "busy": (409, "Réessayez", "La présérie vient de changer : rechargez la page et recommencez."),
}


class HideSurveyTokens(logging.Filter):
    """The access log's line for a link shows `/questionnaire/…`, never the link's token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, str) and "/questionnaire/" in a
                                                  for a in record.args):
            record.args = tuple(_TOKEN_IN_PATH.sub("/questionnaire/…", a) if isinstance(a, str) else a
                                for a in record.args)
        return True


def hide_tokens_in_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HideSurveyTokens) for f in access.filters):
        access.addFilter(HideSurveyTokens())


# ── rendering ─────────────────────────────────────────────────────────────────────────────────────────────
@cache
def _environment() -> Any:
    import jinja2

    environment = jinja2.Environment(loader=jinja2.PackageLoader("preserie.web", "templates"),
                                     autoescape=True, trim_blocks=True, lstrip_blocks=True,
                                     undefined=jinja2.StrictUndefined)
    environment.filters["french_date"] = date
    return environment


@cache
def _style() -> tuple[str, str]:
    css = resources.files("preserie.web").joinpath("static/survey.css").read_text(encoding="utf-8")
    return css, base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()


def _page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    css, digest = _style()
    html = _environment().get_template(f"survey/{template}").render(css=css, **context)
    return HTMLResponse(html, status_code=status, headers={
        "Content-Security-Policy": f"default-src 'none'; style-src 'sha256-{digest}'; form-action 'self'; "
                                   "frame-ancestors 'none'; base-uri 'none'",
        "Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY"})


def _refused(kind: str) -> HTMLResponse:
    status, title, text = REFUSALS[kind]
    return _page("message.html.j2", status, title=title, text=text)


def _form(request: Request, who: survey.Respondent, session: str, *, values: dict[str, Any],
          errors: dict[str, str] | None = None, saved_at: dt.datetime | None = None, status: int = 200) -> Response:
    pilot = who.pilot
    errors = errors or {}
    order = [*SCORES, "blocking_issue", "blocking_issue_text", "comment"]
    anchors = {name: f"{name}-1" if name in SCORES else "blocking_issue-oui" if name == "blocking_issue" else name
               for name in order}
    return _page("form.html.j2", status, pilot=pilot, software=pilot.declaration["software"]["name"],
                 vendor=pilot.vendor, practitioner=who.practitioner, values=values, errors=errors,
                 summary=[(anchors[n], errors[n]) for n in order if n in errors], scores=SCORES,
                 questions=SCORE_QUESTIONS, words=SCALE_WORDS, limits=MAX_TEXT,
                 csrf=survey.csrf(request.app.state.secret, session),
                 saved_at=saved_at.astimezone(PARIS) if saved_at else None,
                 expires=who.invitation["expires_at"].astimezone(PARIS))


def _thanks(registry: Any, who: survey.Respondent, status: int = 200) -> HTMLResponse:
    answer = next((a for a in registry.repo.answers(who.pilot.id) if a["id"] == who.invitation["answer_id"]), None)
    return _page("thanks.html.j2", status, answer=answer, questions=SCORE_QUESTIONS, scores=SCORES,
                 software=who.pilot.declaration["software"]["name"], again=status != 200)


# ── routes ────────────────────────────────────────────────────────────────────────────────────────────────
@router.get("/questionnaire/{token}")
def open_link(token: str, request: Request) -> Response:
    registry = request.app.state.registry
    try:
        cookie, who = survey.open_link(registry, request.app.state.secret, token,
                                       session=request.cookies.get(COOKIE))
    except survey.SurveyRefused as refused:
        return _refused(refused.kind)
    response = _page("opening.html.j2", title="Ouverture du questionnaire")
    max_age = max(int((who.invitation["expires_at"] - registry.now()).total_seconds()), 0)
    response.set_cookie(COOKIE, cookie, max_age=max_age, path=survey.PATH, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


@router.get("/questionnaire")
def form(request: Request) -> Response:
    registry, session = request.app.state.registry, request.cookies.get(COOKIE, "")
    try:
        who = survey.respondent(registry, request.app.state.secret, session)
    except survey.SurveyRefused as refused:
        return _refused(refused.kind)
    if who.answered:
        return _thanks(registry, who)
    kept = survey.draft(registry, who)
    return _form(request, who, session, values=kept["content"] if kept else {},
                 saved_at=kept["saved_at"] if kept else None)


@router.post("/questionnaire")
async def answer(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    registry, secret = request.app.state.registry, request.app.state.secret
    session = request.cookies.get(COOKIE, "")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return _refused("too_large")
    fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
    try:
        who = await run_in_threadpool(survey.respondent, registry, secret, session)
    except survey.SurveyRefused as refused:
        return _refused(refused.kind)
    if not survey.csrf_ok(secret, session, fields.get("csrf", "")):
        return _refused("forged")
    if who.answered:
        return await run_in_threadpool(_thanks, registry, who, 409)
    action = "save_draft" if fields.get("action") == "draft" else "submit"
    try:
        checked = await run_in_threadpool(getattr(survey, action), registry, who, fields)
    except survey.SurveyRefused as refused:
        if refused.kind == "answered":  # another tab submitted first
            return await run_in_threadpool(_thanks, registry, who, 409)
        return _refused(refused.kind)
    except RegistryError:  # the pilot's status moved under this request: nothing was recorded
        return _refused("busy")
    if action == "submit" and not checked.complete:
        return _form(request, who, session, values=checked.values, errors=checked.errors, status=422)
    return RedirectResponse(survey.PATH, status_code=303)
