"""The route table: every module under /rest/<module>/{1.0,latest}/..."""

from __future__ import annotations

import functools
import re
from typing import Iterator

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import compile_path

from cairn.auth.audit import AuditTrail
from cairn.auth.routes import router as users_router
from cairn.auth.routes import tokens_router
from cairn.builds.routes import legacy_router as legacy_builds_router
from cairn.builds.routes import router as builds_router
from cairn.deployments.routes import router as deployments_router
from cairn.events.routes import router as events_router
from cairn.insights.routes import router as insights_router
from cairn.projects.routes import router as projects_router
from cairn.projects.routes import tokens_router as scoped_tokens_router
from cairn.ratelimit.routes import router as rate_limit_router
from cairn.required_builds.routes import branch_utils_router
from cairn.required_builds.routes import router as required_builds_router
from cairn.system.routes import api_router as system_api_router
from cairn.system.routes import router as system_router
from cairn.webhooks.routes import history_router as webhook_history_router
from cairn.webhooks.routes import router as webhooks_router

VERSIONS = ("1.0", "latest")

# module name -> routers answering under /rest/<module>/<version>. Routes are matched in order, one by
# one: the build-status endpoints CI hammers come first.
MODULES: dict[str, list[APIRouter]] = {
    "build-status": [legacy_builds_router],
    "api": [builds_router, deployments_router, projects_router, system_api_router, users_router, rate_limit_router,
            webhooks_router],
    "insights": [insights_router],
    "required-builds": [required_builds_router],
    "branch-utils": [branch_utils_router],
    "access-tokens": [tokens_router, scoped_tokens_router],
    "cairn": [webhook_history_router, events_router],  # what cairn adds to Bitbucket's API
}


def prefixed_routers() -> Iterator[tuple[str, APIRouter]]:
    """Every router with the prefix it answers under."""
    yield "", system_router
    for module, routers in MODULES.items():
        for version in VERSIONS:
            for router in routers:
                yield f"/rest/{module}/{version}", router


def route_table() -> Iterator[tuple[str, str, APIRoute]]:
    """(methods, full path, route) for every API route."""
    for prefix, router in prefixed_routers():
        for route in router.routes:
            if isinstance(route, APIRoute):
                yield ",".join(sorted(route.methods)), prefix + route.path, route


def declared_permissions(dependant) -> list[str]:
    """The permissions a route's dependencies declare (see cairn.auth.deps), outermost first."""
    found = []
    call = getattr(dependant, "call", None)
    if call is not None and hasattr(call, "permission"):
        found.append(call.permission)
    for sub in dependant.dependencies:
        found.extend(declared_permissions(sub))
    return found


# Routers whose every write is audited (GETs pass through the trail untouched); the hot routers declare it on
# their deletes only (cairn.auth.audit).
AUDITED_ROUTERS = (users_router, tokens_router, scoped_tokens_router, projects_router, rate_limit_router,
            required_builds_router, branch_utils_router)


def include_routes(app: FastAPI) -> None:
    for prefix, router in prefixed_routers():
        app.include_router(router, prefix=prefix, dependencies=[AuditTrail] if router in AUDITED_ROUTERS else None)


@functools.cache
def _method_index() -> tuple[tuple[re.Pattern, frozenset[str]], ...]:
    return tuple((compile_path(path)[0], frozenset(route.methods)) for _, path, route in route_table())


def allowed_methods(path: str) -> list[str]:
    """Every method some route answers on `path` (HEAD wherever GET is), for a 405's Allow header."""
    methods: set[str] = set()
    for pattern, route_methods in _method_index():
        if pattern.match(path):
            methods |= route_methods
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)
