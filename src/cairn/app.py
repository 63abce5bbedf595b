"""create_app(settings): the API, its middleware, error handlers and start-up."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from cairn import __version__
from cairn.api import include_routes
from cairn.auth import service as users
from cairn.auth import store as auth_store
from cairn.auth.credentials import Authenticator
from cairn.auth.passwords import make_hasher
from cairn.auth.permissions import SYS_ADMIN
from cairn.config import Settings
from cairn.db import migrate
from cairn.db.engine import create_engine
from cairn.db.uow import unit_of_work
from cairn.errors import install_error_handlers
from cairn.kit.json import JSONResponse


async def bootstrap_admin(app: FastAPI) -> None:
    """Create CAIRN_ADMIN_USERNAME as system administrator unless a user of that name exists."""
    settings: Settings = app.state.settings
    if not (settings.admin_username and settings.admin_password):
        return
    async with unit_of_work(app.state.engine) as conn:
        if await auth_store.user_by_name(conn, settings.admin_username) is not None:
            return  # never change an existing user
        user_id = await users.create_user(conn, app.state.hasher, users.NewUser(
            settings.admin_username, settings.admin_password, settings.admin_username, "admin@localhost"))
        await auth_store.set_global_permission(conn, user_id, SYS_ADMIN)


class _Leniency:
    """Bitbucket-compatible input and output around the app (pure ASGI, cheap per request).

    - JSON bodies are accepted whatever Content-Type the client declares (several operations declare */*).
    - Authenticated responses carry X-AUSERNAME and X-AUSERID (clients learn "who am I" from them).
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
            headers.append((b"content-type", b"application/json"))
            scope = dict(scope, headers=headers)
        state = scope.setdefault("state", {})

        async def send_with_user(message):
            if message["type"] == "http.response.start":
                principal = state.get("principal")
                if principal is not None and not principal.anonymous:
                    message = dict(message, headers=list(message.get("headers", [])) + [
                        (b"x-ausername", principal.name.encode("utf-8")),
                        (b"x-auserid", str(principal.user_id).encode())])
            await send(message)

        await self.app(scope, receive, send_with_user)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.engine = create_engine(settings)
        await migrate.upgrade(app.state.engine)
        await bootstrap_admin(app)
        try:
            yield
        finally:
            await app.state.engine.dispose()

    app = FastAPI(title="cairn", version=__version__, lifespan=lifespan, default_response_class=JSONResponse,
                  description="Bitbucket Data Center's Builds and Deployments REST API, self-hosted.",
                  docs_url="/rest/docs", openapi_url="/rest/openapi.json", redoc_url=None)
    app.state.settings = settings
    app.state.hasher = make_hasher(settings.argon2_profile)
    app.state.authenticator = Authenticator(app.state.hasher, settings.auth_cache_seconds)
    install_error_handlers(app)
    include_routes(app)
    app.add_middleware(_Leniency)
    return app
