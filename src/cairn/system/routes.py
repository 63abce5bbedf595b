"""Discovery endpoints clients probe before anything else: version, capabilities, health."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from cairn.auth.deps import Anyone, Unauthenticated
from cairn.db.uow import unit_of_work
from cairn.errors import CairnError, error_response, unauthorized
from cairn.kit.json import JSONResponse
from cairn.system import metrics, schemas, service

router = APIRouter(tags=["System"])
api_router = APIRouter(tags=["System"])

# Decision D10: a plain dotted numeric version at or above 9.4.0 (clients gate features on it).
VERSION = "9.4.0"
BUILD_NUMBER = "9004000"
BUILD_DATE = "1735689600000"


@router.get("/status", response_model=schemas.Status,
            responses={503: {"description": "The database does not answer"}})
async def status(request: Request, caller: Unauthenticated):
    """RUNNING when the server can serve requests: the database answers. Load balancers ask it, so it neither
    authenticates nor waits on the request pool."""
    if await service.database_answers(request.app.state.engine):
        return {"state": "RUNNING"}
    # Guess: Bitbucket's own state for a node that cannot serve, with a message saying why.
    return JSONResponse({"state": "ERROR", "message": "The database does not answer."}, status_code=503)


@router.api_route("/rest/", methods=["GET", "HEAD"], operation_id="rest_root")
async def rest_root(caller: Anyone) -> dict:
    """Answered so clients that probe the REST root (stashy's HEAD /rest/) see a live server."""
    return {}


@router.get("/rest/capabilities", response_model=schemas.Capabilities)
async def capabilities(request: Request, caller: Anyone):
    """Atlassian's Jenkins plugin reads this to find the build and deployment APIs; URLs must be absolute."""
    base = request.app.state.settings.public_base_url
    return {"application": "stash", "buildDate": BUILD_DATE,
            "links": {"self": f"{base}/rest/capabilities"},
            "capabilities": {"build": f"{base}/rest/api/latest/build/capabilities",
                             "deployment": f"{base}/rest/api/latest/deployment/capabilities"}}


@api_router.get("/application-properties", response_model=schemas.ApplicationProperties)
async def application_properties(caller: Anyone):
    return {"version": VERSION, "buildNumber": BUILD_NUMBER, "buildDate": BUILD_DATE, "displayName": "Bitbucket"}


@api_router.get("/build/capabilities", response_model=schemas.BuildCapabilities)
async def build_capabilities(caller: Anyone):
    return {"buildStatus": ["richBuildStatus", "cancelledStatus", "unknownStatus"]}


@api_router.get("/deployment/capabilities")
async def deployment_capabilities(caller: Anyone) -> dict:
    """An empty object means "deployments supported" to the Jenkins plugin."""
    return {}


def metrics_route(app, reader: str) -> None:
    """GET /metrics (Prometheus' text format) for `reader`: "public" (anyone), "off" (no such page), or the one
    user (by name, with their password or a personal token) a Prometheus server scrapes as."""
    if reader == "off":
        return

    async def endpoint(request: Request):
        if reader != "public":
            try:
                async with unit_of_work(request.app.state.engine, write=False) as conn:
                    principal = await request.app.state.authenticator.authenticate(
                        conn, request.headers.get("authorization"))
            except CairnError as error:
                return error_response(error.status, error.message, error.exception_name)
            if principal.anonymous or principal.name != reader:
                denied = unauthorized(principal.anonymous)
                return error_response(denied.status, denied.message, denied.exception_name)
        return Response(metrics.render(), media_type=metrics.CONTENT_TYPE_LATEST)

    app.add_route("/metrics", endpoint, methods=["GET"], include_in_schema=False)
