"""One error type and its renderer: every error leaves in Bitbucket's error body."""

from __future__ import annotations

from typing import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from cairn.kit.json import JSONResponse
from cairn.kit.schema import PATTERN_MESSAGES

AUTHENTICATION_REQUIRED = "com.atlassian.plugins.rest.common.security.AuthenticationRequiredException"
AUTHORISATION = "com.atlassian.bitbucket.AuthorisationException"
INCORRECT_PASSWORD = "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"
NO_SUCH_PROJECT = "com.atlassian.bitbucket.project.NoSuchProjectException"
NO_SUCH_REPOSITORY = "com.atlassian.bitbucket.repository.NoSuchRepositoryException"
NO_SUCH_USER = "com.atlassian.bitbucket.user.NoSuchUserException"
NO_SUCH_ENTITY = "com.atlassian.bitbucket.NoSuchEntityException"
INTEGRITY = "com.atlassian.bitbucket.IntegrityException"
ARGUMENT_VALIDATION = "com.atlassian.bitbucket.validation.ArgumentValidationException"
DUPLICATE_PROJECT = "com.atlassian.bitbucket.project.DuplicateProjectException"
DUPLICATE_REPOSITORY = "com.atlassian.bitbucket.repository.DuplicateRepositoryNameException"
DUPLICATE_USER = "com.atlassian.bitbucket.user.DuplicateUserException"
NO_SUCH_GROUP = "com.atlassian.bitbucket.user.NoSuchGroupException"
DUPLICATE_GROUP = "com.atlassian.bitbucket.user.DuplicateGroupException"

NOT_PERMITTED = "You are not permitted to access this resource"


class CairnError(Exception):
    """An error answered to the client in Bitbucket's format."""

    def __init__(self, status: int, message: str, exception_name: str | None = None,
                 context: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.exception_name = exception_name
        self.context = context
        self.headers = headers


def bad_request(message: str, context: str | None = None,
                exception_name: str | None = None) -> CairnError:
    return CairnError(400, message, exception_name, context)


def not_found(message: str, exception_name: str | None = None, context: str | None = None) -> CairnError:
    return CairnError(404, message, exception_name, context)


def conflict(message: str, exception_name: str | None = INTEGRITY) -> CairnError:
    return CairnError(409, message, exception_name)


def unauthorized(anonymous: bool) -> CairnError:
    """Bitbucket answers 401 both to the anonymous and to the signed-in caller who lacks permission."""
    return CairnError(401, NOT_PERMITTED, AUTHENTICATION_REQUIRED if anonymous else AUTHORISATION)


def bad_credentials() -> CairnError:
    return CairnError(401, "Authentication failed. Please check your credentials and try again.",
                      INCORRECT_PASSWORD)


def signing_in_too_often(retry_after: int) -> CairnError:
    # Bitbucket asks for a CAPTCHA instead (which an API client cannot answer); cairn says when to try again.
    return CairnError(401, f"Too many failed sign-in attempts for this user. Try again in {retry_after} "
                      f"second{'s' if retry_after != 1 else ''}.", INCORRECT_PASSWORD,
                      headers={"Retry-After": str(retry_after)})


def rate_limited(retry_after: int) -> CairnError:
    # Guess: Bitbucket's 429 carries Retry-After; the message and the absent exception name are ours.
    return CairnError(429, f"Too many requests: you are over the rate limit. Try again in {retry_after} "
                      f"second{'s' if retry_after != 1 else ''}.", headers={"Retry-After": str(retry_after)})


def no_such_project(key: str) -> CairnError:
    return not_found(f"Project {key} does not exist.", NO_SUCH_PROJECT)


def no_such_repository(key: str, slug: str) -> CairnError:
    return not_found(f"Repository {key}/{slug} does not exist.", NO_SUCH_REPOSITORY)


def error_response(status: int, message: str, exception_name: str | None = None,
                   context: str | None = None, headers: dict | None = None) -> JSONResponse:
    body = {"errors": [{"context": context, "message": message, "exceptionName": exception_name}]}
    return JSONResponse(body, status_code=status, headers=headers)


def unexpected_error() -> JSONResponse:
    """The 500 answer: the client learns nothing about the internals."""
    return error_response(500, "An unexpected error occurred. The server log has the details.", None)


_LOCATIONS = ("body", "query", "path", "header", "cookie")


def _validation_message(error: dict) -> tuple[str | None, str]:
    loc = [str(part) for part in error.get("loc", ())]
    # Only the leading part says where the value came from; a field may itself be called "path".
    if loc and loc[0] in _LOCATIONS:
        loc = loc[1:]
    # The field is the last named part ("annotations.3.message" names the 4th annotation's message).
    context = ".".join(loc) if loc else None
    kind = error.get("type", "")
    if kind == "json_invalid":
        return None, "The request body is not valid JSON."
    if kind == "missing":
        return context, f"{context} is required." if context else "A request body is required."
    msg = error.get("msg", "is invalid")
    if kind == "string_pattern_mismatch":
        msg = PATTERN_MESSAGES.get(error.get("ctx", {}).get("pattern"), msg)
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return context, f"{context}: {msg}" if context else msg


def validation_errors(errors) -> list[dict]:
    """Bitbucket's error entries for pydantic's errors (at most 20)."""
    found = []
    for error in errors:
        context, message = _validation_message(error)
        found.append({"context": context, "message": message, "exceptionName": None})
    return found[:20]


def validation_error_response(exc: RequestValidationError) -> JSONResponse:
    """Bitbucket answers bad input with 400 and one entry per field, never 422."""
    return JSONResponse({"errors": validation_errors(exc.errors())}, status_code=400)


def _route_path(request: Request) -> str:
    path, root = request.scope["path"], request.scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


def install_error_handlers(app: FastAPI, allowed_methods: Callable[[str], list[str]] | None = None) -> None:
    """Render every failure in Bitbucket's error body, with Bitbucket's status codes.

    `allowed_methods(path)` names the methods a path answers, for the Allow header of a 405.
    """

    @app.exception_handler(CairnError)
    async def _cairn(_: Request, exc: CairnError):
        return error_response(exc.status, exc.message, exc.exception_name, exc.context, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        return validation_error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        messages = {404: "The requested resource does not exist.",
                    405: "The request method is not supported by this resource."}
        message = messages.get(exc.status_code, str(exc.detail))
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405 and allowed_methods is not None:
            # Starlette names only the first route's methods; a client needs every method the path takes.
            headers["Allow"] = ", ".join(allowed_methods(_route_path(request)))
        return error_response(exc.status_code, message, None, None, headers or None)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception):
        return unexpected_error()  # logged once, with the request id, by cairn.system.logs.RequestLog
