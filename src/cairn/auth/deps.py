"""Auth is declared, not written: route dependencies that resolve the caller and their permission.

Each dependency carries a `permission` attribute naming what it demands; a test walks the route table
and fails on any route that declares none. Once a dependency has let the caller in, it refuses a body
holding NUL (kit/schema.py refuse_nul): every route checks that, after auth, as Bitbucket orders errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request

from cairn.auth import permissions as perms
from cairn.auth import store
from cairn.auth.principal import Principal
from cairn.db.uow import Conn
from cairn.errors import CairnError, no_such_project, no_such_repository, rate_limited, unauthorized
from cairn.kit.entities import ProjectRef, RepositoryRef
from cairn.kit.schema import refuse_nul


@dataclass(frozen=True)
class ProjectAccess:
    project: ProjectRef
    level: int
    principal: Principal


@dataclass(frozen=True)
class RepositoryAccess:
    repository: RepositoryRef
    level: int
    principal: Principal


def _declares(permission: str):
    def mark(fn):
        fn.permission = permission
        return fn
    return mark


async def authenticate(request: Request, conn: Conn) -> Principal:
    principal = await request.app.state.authenticator.authenticate(conn, request.headers.get("authorization"))
    request.state.principal = principal  # read by the middleware that sets X-AUSERNAME / X-AUSERID
    wait = request.scope.get("state", {}).get("rate_checked")  # the fast lane counted this request already
    if wait is None:
        client = request.client
        wait = request.app.state.limiter.retry_after(principal.user_id, client.host if client else None)
    if wait:
        raise rate_limited(wait)
    return principal


Caller = Annotated[Principal, Depends(authenticate)]


def _global(permission: str, level: int):
    @_declares(permission)
    async def dependency(request: Request, principal: Caller) -> Principal:
        if principal.global_level < level:
            raise unauthorized(principal.anonymous)
        await refuse_nul(request)
        return principal
    return dependency


@_declares("PUBLIC")
async def anyone(request: Request, principal: Caller) -> Principal:
    await refuse_nul(request)
    return principal


def _project_readable(principal: Principal, project: ProjectRef, row) -> bool:
    """The owner's own project level reaches READ: a grant on the project, public access, or administration.

    Visibility is judged on the owner's rights: a personal token always carries at least repository read,
    so it sees what its owner sees; its cap limits what it may do there.
    """
    return perms.project_level(global_level=principal.owner_global_level, project_grant=row.project_grant,
                               public=project.public) >= perms.READ


def _sees_project(principal: Principal, project: ProjectRef, row) -> bool:
    """PROJECT_VIEW: project read, or a grant on / public access to one of its repositories."""
    return _project_readable(principal, project, row) or bool(row.sees_a_repository)


async def project_access(conn, principal: Principal, project_key: str) -> ProjectAccess:
    """The project and the caller's level on it; Bitbucket's errors when they may not see it (PROJECT_VIEW)."""
    project, row = await store.project_access(conn, principal.user_id, project_key)
    if project is None or not _sees_project(principal, project, row):
        if principal.anonymous:
            raise unauthorized(True)
        raise no_such_project(project_key)
    have = perms.project_level(global_level=principal.owner_global_level, project_grant=row.project_grant,
                               public=project.public, token_cap=principal.token_project_cap)
    return ProjectAccess(project, have, principal)


def _project(permission: str, level: int, no_token: bool = False):
    @_declares(permission)
    async def dependency(request: Request, principal: Caller, conn: Conn,
                         projectKey: Annotated[str, Path()]) -> ProjectAccess:  # noqa: N803
        access = await project_access(conn, principal, projectKey)
        if access.level < level or (no_token and principal.via_token):
            raise unauthorized(principal.anonymous)
        await refuse_nul(request)
        return access
    return dependency


async def repository_access(conn, principal: Principal, project_key: str, slug: str,
                            missing_ok: bool = False) -> RepositoryAccess | None:
    """The repository and the caller's level on it, at least READ; Bitbucket's errors when they may not read it
    (None instead of the repository's 404 when `missing_ok`)."""
    project, repository, row = await store.repository_access(conn, principal.user_id, project_key, slug)
    have = 0
    if repository is not None:
        have = perms.repository_level(
            global_level=principal.owner_global_level, project_grant=row.project_grant,
            repository_grant=row.repository_grant, public=repository.public or project.public,
            token_cap=principal.repository_cap)
    if have < perms.READ:
        # A repository the caller cannot read does not exist for them (as in Bitbucket); nor does a
        # project they cannot see.
        # Anonymous callers are asked to sign in, except where the public may read the whole project:
        # there a repository that is not found is simply absent.
        if principal.anonymous and (project is None or not project.public or missing_ok):
            raise unauthorized(True)
        if project is None or not (_project_readable(principal, project, row)
                                   or await store.sees_a_repository(conn, principal.user_id, project.id)):
            raise no_such_project(project_key)
        if missing_ok:
            return None
        raise no_such_repository(project.key, slug)
    return RepositoryAccess(repository, have, principal)


def _repository(permission: str, level: int, missing_ok: bool = False, signed_in: bool = False,
                no_token: bool = False):
    @_declares(permission)
    async def dependency(request: Request, principal: Caller, conn: Conn,
                         projectKey: Annotated[str, Path()],  # noqa: N803
                         repositorySlug: Annotated[str, Path()]) -> RepositoryAccess | None:  # noqa: N803
        access = await repository_access(conn, principal, projectKey, repositorySlug, missing_ok)
        if access is None:
            return None
        request.app.state.access.put(principal, projectKey, repositorySlug, access.repository, access.level)
        if access.level < level or (signed_in and principal.anonymous) or (no_token and principal.via_token):
            raise unauthorized(principal.anonymous)
        await refuse_nul(request)
        return access
    return dependency


@_declares("SELF_OR_ADMIN")
async def self_or_admin(request: Request, principal: Caller,
                        userSlug: Annotated[str, Path()]) -> Principal:  # noqa: N803
    """The named user themself, or an administrator (personal tokens, as in Bitbucket)."""
    if principal.anonymous:
        raise unauthorized(True)
    # A token may not manage tokens: it could mint one with more rights than its own cap.
    if principal.via_token or (principal.slug != userSlug and principal.global_level < perms.GLOBAL_ADMIN):
        raise unauthorized(False)
    await refuse_nul(request)
    return principal


def level_now(conn, access: ProjectAccess | RepositoryAccess):
    """A coroutine function reading the caller's level on the project or repository of `access` as it stands now
    in this transaction (0: they can no longer see it), to refuse a change that would lower it."""
    async def read() -> int:
        try:
            if isinstance(access, ProjectAccess):
                return (await project_access(conn, access.principal, access.project.key)).level
            repository = access.repository
            return (await repository_access(conn, access.principal, repository.project.key, repository.slug)).level
        except CairnError:
            return 0
    return read


@_declares("NO_AUTH")
async def unauthenticated() -> None:
    """For what must answer without the database (/status): no credential is looked at."""


Anyone = Annotated[Principal, Depends(anyone)]
Unauthenticated = Annotated[None, Depends(unauthenticated)]
SignedIn = Annotated[Principal, Depends(_global("LICENSED_USER", perms.LICENSED_USER))]
ProjectCreator = Annotated[Principal, Depends(_global("PROJECT_CREATE", perms.PROJECT_CREATE))]
Admin = Annotated[Principal, Depends(_global("ADMIN", perms.GLOBAL_ADMIN))]
SysAdmin = Annotated[Principal, Depends(_global("SYS_ADMIN", perms.SYS_ADMIN))]
UserSelfOrAdmin = Annotated[Principal, Depends(self_or_admin)]
ProjectView = Annotated[ProjectAccess, Depends(_project("PROJECT_VIEW", 0))]
ProjectAdmin = Annotated[ProjectAccess, Depends(_project("PROJECT_ADMIN", perms.ADMIN))]
RepoRead = Annotated[RepositoryAccess, Depends(_repository("REPO_READ", perms.READ))]
# Writes that need only read access still need a signed-in user ("the authenticated user must have REPO_READ").
RepoReadSignedIn = Annotated[RepositoryAccess, Depends(_repository("REPO_READ_SIGNED_IN", perms.READ,
                                                                   signed_in=True))]
RepoAdmin = Annotated[RepositoryAccess, Depends(_repository("REPO_ADMIN", perms.ADMIN))]
# Managing access tokens: an administrator in person; a token may not mint tokens (it could outgrow its cap).
ProjectTokenAdmin = Annotated[ProjectAccess, Depends(_project("PROJECT_ADMIN_IN_PERSON", perms.ADMIN, no_token=True))]
RepoTokenAdmin = Annotated[RepositoryAccess, Depends(_repository("REPO_ADMIN_IN_PERSON", perms.ADMIN,
                                                                 no_token=True))]
# For deletes that answer 204 when the repository is absent (or invisible to the caller).
RepoAdminIfExists = Annotated[RepositoryAccess | None, Depends(_repository("REPO_ADMIN", perms.ADMIN, True))]

