"""/healthz and /metrics for operators: no login, no personal data, figures only. /metrics can ask
for a bearer token (METRICS_TOKEN), as Prometheus sends one, when the view is reachable from outside."""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from aiohttp import hdrs, web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.services.ops import Figures
from bot.web.context import HEALTH, now, services

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers and the dispatcher polls; 503 otherwise (a load balancer's check)."""
    health = await services(request).ops.health(now(request), request.app[HEALTH]())
    body = {
        "status": "ok" if health.ok else "fout",
        "database": health.database,
        "dispatcher": health.dispatcher_alive,
        "oudste_wachtende_bezorging_seconden": health.oldest_pending_seconds,
    }
    return web.json_response(body, status=200 if health.ok else 503)


class _Snapshot:
    """A prometheus_client collector over figures read just before (collect() cannot await)."""

    def __init__(self, figures: Figures) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Metric]:
        figures = self.figures
        questions = GaugeMetricFamily(
            "samen_opleiden_questions", "Questions in the log, by whether the bot fell back", labels=["outcome"]
        )
        questions.add_metric(["answered"], figures.answers)
        questions.add_metric(["fallback"], figures.fallbacks)
        yield questions
        deliveries = GaugeMetricFamily(
            "samen_opleiden_deliveries", "Outbox rows by kind and status", labels=["kind", "status"]
        )
        for (kind, status), count in sorted(figures.deliveries.items()):
            deliveries.add_metric([kind, status], count)
        yield deliveries
        open_questions = "Fallback questions no coordinator answered yet"
        yield GaugeMetricFamily("samen_opleiden_open_questions", open_questions, value=figures.open_questions)
        inbox = "Telegram updates received and not yet handled"
        yield GaugeMetricFamily("samen_opleiden_update_inbox_depth", inbox, value=figures.update_inbox)
        yield GaugeMetricFamily(
            "samen_opleiden_outbox_oldest_pending_seconds",
            "How long the oldest due delivery has waited (0: none waits)",
            value=figures.oldest_pending_seconds or 0.0,
        )


def _scraper_allowed(request: web.Request) -> bool:
    token = services(request).settings.metrics_token
    if token is None:
        return True
    expected = f"Bearer {token.get_secret_value()}"
    return hmac.compare_digest(request.headers.get(hdrs.AUTHORIZATION, "").encode(), expected.encode())


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    if not _scraper_allowed(request):
        return web.Response(
            status=401, text="Alleen met het juiste token (METRICS_TOKEN).\n", headers={"WWW-Authenticate": "Bearer"}
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(await services(request).ops.figures(now(request))))
    return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})
