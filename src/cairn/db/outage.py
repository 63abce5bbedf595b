"""When PostgreSQL goes away (a restart, a dropped connection): requests that failed before anything was
committed are run once more on a fresh connection, and what still cannot be served is answered at once with
503 and Retry-After, so no request that could have succeeded gets a 500 and service returns by itself.
A request that lost a deadlock (or a serialization conflict) is run once more too: PostgreSQL rolled all of it
back. (Concurrent deployments to a new environment can deadlock: the lane's pipeline runs several in one
transaction, in no order a single request's can follow.)

SQLAlchemy throws away every pooled connection older than a detected disconnect, and the fast lane's direct
connections drop closed ones (db/direct.py), so the second try connects afresh.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import DBAPIError

from cairn.errors import error_response

_LOG = logging.getLogger("cairn")
RETRY_AFTER = "5"  # seconds a client is told to wait: a PostgreSQL restart usually takes a few
# The driver's names for "the connection, or the server, is gone" (asyncpg's, and the OS's at connect time).
_GONE = frozenset({"ConnectionDoesNotExistError", "CannotConnectNowError", "AdminShutdownError",
                   "CrashShutdownError", "ConnectionFailureError", "PostgresConnectionError", "InterfaceError",
                   "InternalClientError",
                   "ConnectionRefusedError", "ConnectionResetError", "BrokenPipeError", "TimeoutError",
                   "OSError", "gaierror"})


_SHUTTING_DOWN = frozenset({"57P01", "57P02", "57P03", "53300"})  # admin/crash shutdown, starting up, full


class CommitOutcomeUnknown(Exception):
    """The connection died during COMMIT: the work may or may not be stored, so it is never run again."""


_ROLLED_BACK = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure


def _causes(error: BaseException | None):
    """`error` and what caused it, a few deep (SQLAlchemy's error, the driver's, the OS's)."""
    seen = 0
    while error is not None and seen < 5:
        yield error
        error = getattr(error, "orig", None) or error.__cause__
        seen += 1


def lost_a_conflict(error: BaseException) -> bool:
    """Whether PostgreSQL rolled the transaction back to break a deadlock or a serialization conflict."""
    return any(getattr(cause, "sqlstate", None) in _ROLLED_BACK for cause in _causes(error))


def database_gone(error: BaseException) -> bool:
    """Whether `error` (or what caused it) says the database cannot be reached, not that the request was wrong."""
    for error in _causes(error):
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        if type(error).__name__ in _GONE or isinstance(error, (OSError, asyncio.TimeoutError)):
            return True
        sqlstate = getattr(error, "sqlstate", None) or ""
        if sqlstate.startswith("08") or sqlstate in _SHUTTING_DOWN:  # connection exceptions; shutting down
            return True
        if "not currently accepting connections" in str(error):  # ALTER DATABASE ... ALLOW_CONNECTIONS false
            return True
    return False


def unavailable():
    return error_response(503, "The database cannot be reached at the moment; try again in a few seconds.",
                          headers={"Retry-After": RETRY_AFTER})


class DatabaseOutage:
    """ASGI layer (PostgreSQL only): one more try for a request whose database went away before it committed, or
    that lost a deadlock, before any answer started; 503 with Retry-After when the database is still gone, or when
    a COMMIT's outcome is unknown."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        original = dict(scope)  # the layers below normalise the scope in place; a second try starts afresh
        received: list = []
        started = False

        async def recording():
            message = await receive()
            received.append(message)
            return message

        async def watching(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            return await self.app(scope, recording, watching)
        except Exception as error:
            conflict = not started and lost_a_conflict(error)
            if not conflict and (started or not (isinstance(error, CommitOutcomeUnknown) or database_gone(error))):
                raise
            _LOG.warning("%s during %s %s (%s): %s [request %s]",
                         "the transaction lost a deadlock" if conflict else "the database went away",
                         original["method"], original["path"], type(error).__name__,
                         "its COMMIT's outcome is unknown, answered 503" if isinstance(error, CommitOutcomeUnknown)
                         else "trying it once more", original.get("state", {}).get("request_id"))
            if isinstance(error, CommitOutcomeUnknown):
                return await unavailable()(scope, receive, send)
        replay = list(received)

        async def replaying():
            return replay.pop(0) if replay else await receive()
        scope.clear()
        scope.update(original)
        try:
            return await self.app(scope, replaying, watching)
        except Exception as error:
            if started or not (isinstance(error, CommitOutcomeUnknown) or database_gone(error)):
                raise
            return await unavailable()(scope, receive, send)
