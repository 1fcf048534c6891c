"""The one way in: coordinators only, by a one-time link (/web) or a Telegram Mini App's initData.

``authenticate`` (a middleware) turns the session cookie into the coordinator's ``Authority`` on the
request before any page runs, and checks the CSRF token of every form sent; everything else gets a
Dutch 403 and changes nothing.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from aiohttp import hdrs, web
from sqlalchemy.exc import SQLAlchemyError

from bot.services.web_access import csrf_token
from bot.web.context import AUTHORITY, SESSION_TOKEN, now, services
from bot.web.render import Refused, refusal, render

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()

COOKIE = "sessie"
PUBLIC_PATHS = frozenset({"/app", "/uitgelogd", "/healthz", "/metrics"})
PUBLIC_PREFIXES = ("/login/", "/static/")
NO_SESSION = "Je bent niet (meer) ingelogd. Stuur /web aan de bot in Telegram voor een nieuwe inloglink."
NOT_COORDINATOR = "De webomgeving is alleen voor coördinatoren van een partnerschap."
FORGED_FORM = "Dit formulier is verlopen of komt niet van deze site. Laad de pagina opnieuw en probeer het nog eens."
USED_LINK = (
    "Deze inloglink is al gebruikt of verlopen (een link werkt één keer, 10 minuten lang). "
    "Stuur /web aan de bot voor een nieuwe."
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SECURITY_HEADERS = {
    # Our own scripts and styles only; Telegram's apps may show the Mini App in a frame.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'self' https://web.telegram.org"
    ),
    "Referrer-Policy": "no-referrer",  # a login link never travels on in a Referer header
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def _public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await _guarded(request, handler)
    response.headers.update(SECURITY_HEADERS)
    return response


def _from_elsewhere(request: web.Request) -> bool:
    """A form posted by another site's page (the browser names it in Origin): never taken, not even a
    login (else someone could log a victim's browser into their own session)."""
    origin = request.headers.get("Origin")
    if request.method in ("GET", "HEAD"):
        return False
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return True
    if origin is None or origin == "null":  # "null": our own pages send no referrer (Referrer-Policy)
        return False
    public_url = services(request).settings.web_public_url
    ours = {request.host, urlsplit(public_url).netloc if public_url else request.host}
    return urlsplit(origin).netloc not in ours


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        if _from_elsewhere(request):
            return refusal(request, FORGED_FORM)
        if not _public(request.path) and (refused := await _let_in(request)) is not None:
            return refused
        return await handler(request)
    except Refused as stop:
        return refusal(request, stop.message, stop.status)
    except web.HTTPNotFound:
        return refusal(request, "Deze pagina bestaat niet.", status=404)
    except web.HTTPForbidden:
        return refusal(request, NOT_COORDINATOR if request.get(AUTHORITY) is None else "Dit mag je niet zien.")
    except web.HTTPMethodNotAllowed:
        return refusal(request, "Dat kan op deze pagina niet.", status=405)
    except web.HTTPRequestEntityTooLarge:
        return refusal(request, "Dat bestand is te groot.", status=413)
    except web.HTTPException:
        raise  # redirects
    except (SQLAlchemyError, OSError):
        logger.exception("web view: %s %s", request.method, request.path)
        return refusal(request, "De database is even niet bereikbaar. Probeer het zo nog eens.", status=503)
    except Exception:
        logger.exception("web view: %s %s", request.method, request.path)
        return refusal(request, "Er ging iets mis aan onze kant. Probeer het nog eens.", status=500)


async def _let_in(request: web.Request) -> web.Response | None:
    """None when a coordinator's valid session asks (and a form carries its CSRF token); else a 403."""
    token = request.cookies.get(COOKIE, "")
    user_id = await services(request).web_access.session_user(token, now(request)) if token else None
    if user_id is None:
        return refusal(request, NO_SESSION)
    authority = await services(request).coordinators.authority(user_id)
    if authority is None:
        return refusal(request, NOT_COORDINATOR)
    request[AUTHORITY] = authority
    request[SESSION_TOKEN] = token
    if request.method not in ("GET", "HEAD"):
        sent = (await request.post()).get("csrf")
        if not isinstance(sent, str) or not hmac.compare_digest(sent, csrf_token(token)):
            return refusal(request, FORGED_FORM)
    return None


def _session_cookie(value: str, max_age: int, framed: bool) -> str:
    """The Set-Cookie value of the session: HttpOnly and Secure. SameSite=Lax for a browser; for the
    Mini App (``framed``) SameSite=None and Partitioned, because Telegram Web shows it in a frame of
    web.telegram.org, another site, where a Lax cookie is never sent and an unpartitioned one is
    blocked as a third-party cookie. The CSRF token on every form and the refusal of other sites'
    forms guard it there."""
    cookie: SimpleCookie = SimpleCookie()
    cookie[COOKIE] = value
    morsel = cookie[COOKIE]
    morsel["max-age"] = str(max_age)
    morsel["httponly"] = True
    morsel["secure"] = True
    morsel["samesite"] = "None" if framed else "Lax"
    morsel["path"] = "/"
    # Python's cookie module before 3.14 knows no Partitioned attribute, so it is appended here.
    return morsel.OutputString() + ("; Partitioned" if framed else "")


def _with_session(request: web.Request, session_token: str, framed: bool = False) -> web.HTTPSeeOther:
    """To the overview, with the session cookie."""
    hours = services(request).settings.web_session_hours
    found = web.HTTPSeeOther("/")
    found.headers.add(
        hdrs.SET_COOKIE, _session_cookie(session_token, int(timedelta(hours=hours).total_seconds()), framed)
    )
    return found


@routes.get("/login/{token}")
async def confirm_link(request: web.Request) -> web.Response:
    """A page with one button: a link preview or a virus scanner that fetches the link uses nothing up."""
    return render(request, "login.html", token=request.match_info["token"])


@routes.post("/login/{token}")
async def open_link(request: web.Request) -> web.Response:
    session_token = await services(request).web_access.open_link(request.match_info["token"], now(request))
    if session_token is None:
        return refusal(request, USED_LINK)
    raise _with_session(request, session_token)


@routes.get("/app")
async def mini_app(request: web.Request) -> web.Response:
    """The Mini App's start page: its script sends Telegram's initData (from the URL fragment) back."""
    return render(request, "mini_app.html")


@routes.post("/app")
async def open_mini_app(request: web.Request) -> web.Response:
    init_data = (await request.post()).get("init_data")
    session_token = None
    if isinstance(init_data, str):
        session_token = await services(request).web_access.open_mini_app(init_data, now(request))
    if session_token is None:
        return refusal(request, "Telegram kon niet bevestigen wie je bent, of je bent geen coördinator.")
    raise _with_session(request, session_token, framed=True)


@routes.post("/uitloggen")
async def log_out(request: web.Request) -> web.Response:
    await services(request).web_access.close(request[SESSION_TOKEN])
    found = web.HTTPSeeOther("/uitgelogd")
    # Both kinds: a browser removes a partitioned cookie (the Mini App's) only with a partitioned one.
    for framed in (False, True):
        found.headers.add(hdrs.SET_COOKIE, _session_cookie("", 0, framed))
    raise found


@routes.get("/uitgelogd")
async def logged_out(request: web.Request) -> web.Response:
    return refusal(request, "Je bent uitgelogd. Stuur /web aan de bot om weer in te loggen.", status=200)


@routes.get("/login/")
async def no_token(request: web.Request) -> web.Response:
    return refusal(request, USED_LINK)
