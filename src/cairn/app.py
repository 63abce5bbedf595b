"""create_app(settings): the API, its middleware, error handlers and start-up."""

from __future__ import annotations

import asyncio
import gc
from contextlib import asynccontextmanager, suppress
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from cairn import __version__
from cairn.api import allowed_methods, declared_permissions, include_routes, route_table
from cairn.auth import service as users
from cairn.auth import store as auth_store
from cairn.auth.access import AccessCache
from cairn.auth.credentials import Authenticator
from cairn.auth.passwords import make_hasher
from cairn.auth.permissions import SYS_ADMIN
from cairn.config import Settings
from cairn.db import direct, migrate
from cairn.db.engine import create_engine
from cairn.db.outage import DatabaseOutage, database_gone
from cairn.db.uow import unit_of_work
from cairn.errors import (
    CairnError,
    error_response,
    install_error_handlers,
    unauthorized,
    validation_error_response,
)
from cairn.events import service as events
from cairn.events.stream import EventBus
from cairn.kit.json import JSONResponse
from cairn.lane import FastLane
from cairn.openapi import OPENAPI_PATH, document_events, install_openapi
from cairn.ratelimit import service as rate_limits
from cairn.system import logs, metrics
from cairn.system.logs import RequestLog
from cairn.system.routes import metrics_route
from cairn.ratelimit.limiter import RateLimiter
from cairn.web import SecurityHeaders, install_web
from cairn.webhooks.delivery import Deliverer, Sender


async def bootstrap_admin(app: FastAPI) -> None:
    """Create CAIRN_ADMIN_USERNAME as system administrator unless a user of that name exists."""
    settings: Settings = app.state.settings
    if not (settings.admin_username and settings.admin_password):
        return
    try:
        async with unit_of_work(app.state.engine) as conn:
            if await auth_store.user_by_name(conn, settings.admin_username) is not None:
                return  # never change an existing user
            user_id = await users.create_user(conn, app.state.hasher, users.NewUser(
                settings.admin_username, settings.admin_password, settings.admin_username, "admin@localhost"))
            await auth_store.set_global_permission(conn, user_id, SYS_ADMIN)
    except CairnError as error:
        if error.status != 409:
            raise
        # Another process starting at the same moment created it first: that is the same outcome.


def _has_nul(scope) -> bool:
    return "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")


class _Leniency:
    """Bitbucket-compatible input and output around the app (pure ASGI, cheap per request).

    - The API answers both at the root and under the context path of CAIRN_BASE_URL (Bitbucket itself
      serves under its context path, so a client may use either a stripping proxy or none).
    - A trailing slash names the same resource (Jersey matches both); no redirect that a proxy would break.
    - HEAD is answered for every GET resource, without a body (as Jersey does).
    - API bodies are read as JSON whatever Content-Type the client declares (several operations declare */*);
      the pages' forms keep theirs.
    (Authenticated responses carry X-AUSERNAME and X-AUSERID: cairn.system.logs.RequestLog adds them with the
    request id, so a response passes one send wrapper, not two.)
    """

    def __init__(self, app, context_path: str = ""):
        self.app = app
        self.context_path = context_path

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if _has_nul(scope):
            # PostgreSQL cannot compare or store U+0000: refuse it in the URL before anything looks it up.
            return await error_response(400, "The request URL must not contain NUL characters.")(
                scope, receive, send)
        changes: dict = {}
        path = scope["path"]
        prefix = ""
        context = self.context_path
        if context and not scope.get("root_path") and (path == context or path.startswith(context + "/")):
            prefix, path = context, path[len(context):]
            changes["root_path"] = context  # Starlette routes on the path minus root_path
        if path == "/rest":
            changes["path"] = prefix + "/rest/"
        elif len(path) > 1 and path.endswith("/") and path != "/rest/":
            changes["path"] = prefix + (path.rstrip("/") or "/")
        head = scope["method"] == "HEAD"
        if head:
            changes["method"] = "GET"
        elif scope["method"] in ("POST", "PUT", "PATCH", "DELETE") and path.startswith("/rest"):
            headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
            headers.append((b"content-type", b"application/json"))
            changes["headers"] = headers
        if changes:
            scope.update(changes)  # in place: the request log reads the route the router matched from this scope
        if not head:
            return await self.app(scope, receive, send)

        async def send_without_body(message):
            if message["type"] == "http.response.body":
                message = dict(message, body=b"")
            await send(message)

        await self.app(scope, receive, send_without_body)


# Permissions an anonymous caller can hold (read access to public projects and repositories).
_ANONYMOUS_MAY = frozenset({"NO_AUTH", "PUBLIC", "PROJECT_VIEW", "REPO_READ"})


def install_sign_in_before_body(app: FastAPI) -> None:
    """Sign the caller in before complaining about the body, as Bitbucket's filters do.

    FastAPI parses a JSON body before the route's dependencies run, so a malformed body would otherwise
    answer 400 to bad credentials or to an anonymous caller on a route that needs a signed-in user
    (Bitbucket: 401), and without X-AUSERNAME for a good one. Whether a public repository lets an anonymous
    caller in is the route's business, decided after the body as before.
    """

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        if getattr(request.state, "principal", None) is None:
            try:
                async with unit_of_work(request.app.state.engine, write=False) as conn:
                    principal = await request.app.state.authenticator.authenticate(
                        conn, request.headers.get("authorization"))
            except CairnError as error:
                return error_response(error.status, error.message, error.exception_name, error.context)
            request.state.principal = principal  # read by _Leniency for X-AUSERNAME / X-AUSERID
            route = request.scope.get("route")
            needs = declared_permissions(route.dependant) if isinstance(route, APIRoute) else []
            if principal.anonymous and any(permission not in _ANONYMOUS_MAY for permission in needs):
                error = unauthorized(True)
                return error_response(error.status, error.message, error.exception_name)
        return validation_error_response(exc)


RECORD_SECONDS = 30.0  # how often a process writes its tokens' last uses and its rate limit refusals, batched


async def record_batches(app: FastAPI) -> None:
    """Write what this process saw since the last call: tokens' last authentication, and rate limit refusals
    (one transaction, never one per request)."""
    uses, rejects = app.state.authenticator.take_token_uses(), app.state.limiter.take_rejects()
    if uses or rejects:
        async with unit_of_work(app.state.engine) as conn:
            await users.record_token_uses(conn, uses)
            await rate_limits.record_rejects(conn, rejects)


async def refresh_rate_limits(app: FastAPI) -> None:
    async with unit_of_work(app.state.engine, write=False) as conn:
        await rate_limits.refresh(conn, app.state.limiter)


async def prune_events(app: FastAPI) -> None:
    """Events past their day, a batch per transaction, with a pause for this process's writers in between."""
    while True:
        async with unit_of_work(app.state.engine) as conn:
            if await events.prune(conn) < events.PRUNE_BATCH:
                return
        await asyncio.sleep(0.025)


async def _housekeeping(app: FastAPI) -> None:
    """Pick up other processes' rate limit changes every CAIRN_AUTH_CACHE_SECONDS; write the batches above, and
    prune old events, every RECORD_SECONDS."""
    every = max(0.5, app.state.settings.auth_cache_seconds)
    last_record = asyncio.get_running_loop().time()
    while True:
        await asyncio.sleep(every)
        try:
            await refresh_rate_limits(app)
            if asyncio.get_running_loop().time() - last_record >= RECORD_SECONDS:
                last_record = asyncio.get_running_loop().time()
                await record_batches(app)
                await prune_events(app)
        except Exception as error:  # a failed round loses timestamps and counts, never the loop
            if database_gone(error):
                logs.ERRORS.warning("housekeeping skipped: the database cannot be reached (%s)", type(error).__name__)
            else:
                logs.ERRORS.exception("housekeeping failed (rate limit settings, token uses, refusals)")


class _Cairn(FastAPI):
    """FastAPI without the layers it puts in front of the app's own middleware: Starlette's error middleware
    (RequestLog, the outermost of cairn's, already logs every unexpected error and answers it in Bitbucket's
    body, so none ever reached it), OpenTelemetry's (cairn does not use it; checking whether it is configured
    read the environment three times a request) and the body limit (cairn sets none). Each layer is a frame on
    every resumption of every request: in-process (16 concurrent callers, no server), the stats GET took 102 us
    of CPU with them, 88 without."""

    def build_middleware_stack(self):
        stack = super().build_middleware_stack()
        while not isinstance(stack, RequestLog):
            stack = stack.app
        return stack

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await super().__call__(scope, receive, send)
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        scope["app"] = self
        await self.middleware_stack(scope, receive, send)


_GC_THRESHOLD = 10_000  # container allocations between young-generation collections (Python's default: 700)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    logs.configure(settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.engine = create_engine(settings)
        await migrate.upgrade(app.state.engine)
        await bootstrap_admin(app)
        metrics.watch_pool(app.state.engine)
        # Start-up objects (routes, models, compiled statements) never die: keeping them out of the
        # collector's sweeps halved p99 under load (75 -> 25 ms on PostgreSQL, bench/).
        gc.collect()
        gc.freeze()
        # A request's objects (1000 annotations are ~3000 containers) die with it and rarely form cycles;
        # sweeping them every 700 allocations cost 0.5 ms of validating 1000 annotations (bench/).
        gc.set_threshold(_GC_THRESHOLD, *gc.get_threshold()[1:])
        await refresh_rate_limits(app)
        app.state.event_bus = EventBus(app.state.engine)
        app.state.event_bus.end_streams_on_exit()
        deliverer = Deliverer(app.state.engine, app.state.webhook_sender)
        tasks = [asyncio.create_task(_housekeeping(app)), asyncio.create_task(deliverer.run())]
        if app.state.access_lines is not None:
            tasks.append(asyncio.create_task(app.state.access_lines.flushing()))
        if settings.metrics != "off":
            tasks.append(asyncio.create_task(metrics.flushing()))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
            if app.state.access_lines is not None:
                app.state.access_lines.flush()
            with suppress(Exception):  # shutting down with the database gone: the timestamps are not worth a hang
                await record_batches(app)
            await app.state.event_bus.close()
            await app.state.webhook_sender.close()
            await direct.close(app.state.engine)
            await app.state.engine.dispose()

    base_url = settings.public_base_url
    context_path = urlsplit(base_url).path.rstrip("/")
    # The document's server is the externally visible base URL; its paths start at /rest.
    app = _Cairn(title="cairn", version=__version__, lifespan=lifespan, default_response_class=JSONResponse,
                  description="Bitbucket Data Center's Builds and Deployments REST API, self-hosted.",
                  docs_url=None, openapi_url=OPENAPI_PATH, redoc_url=None, root_path_in_servers=False,
                  servers=[{"url": base_url}])
    app.state.settings = settings
    app.state.hasher = make_hasher(settings.argon2_profile)
    app.state.authenticator = Authenticator(app.state.hasher, settings.auth_cache_seconds)
    app.state.access = AccessCache(settings.auth_cache_seconds)
    app.state.limiter = RateLimiter()
    app.state.webhook_sender = Sender(settings.webhook_allow_private)
    install_error_handlers(app, allowed_methods)
    install_sign_in_before_body(app)  # replaces the plain validation handler installed just above
    include_routes(app)
    document_events(app)
    install_openapi(app)

    install_web(app, context_path)  # after the API's handlers: it wraps them for pages
    app.add_middleware(SecurityHeaders)  # inside FastLane: the lane's answers never pass it
    app.add_middleware(FastLane, routes=list(route_table()))  # inside _Leniency: it sees normalised paths and methods
    app.add_middleware(_Leniency, context_path=context_path)
    if not settings.sqlalchemy_url.startswith("sqlite"):
        app.add_middleware(DatabaseOutage)  # a second try, or a fast 503, when PostgreSQL goes away
    app.state.access_lines = logs.AccessLines(settings.log_format) if settings.access_log else None
    # Outermost: it sees every request.
    app.add_middleware(RequestLog, lines=app.state.access_lines, metrics=settings.metrics != "off")
    metrics_route(app, settings.metrics)
    return app
