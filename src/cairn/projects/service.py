"""Projects, repositories and the permission grants on them."""

from __future__ import annotations

import re
import secrets

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.auth import permissions as perms
from cairn.auth import service as users
from cairn.auth import store as auth_store
from cairn.auth.principal import Principal
from cairn.errors import DUPLICATE_PROJECT, DUPLICATE_REPOSITORY, bad_request, conflict
from cairn.kit.clock import now_ms
from cairn.kit.entities import ProjectRef, RepositoryRef
from cairn.projects import store
from cairn.projects.schemas import (
    ProjectCreate,
    ProjectUpdate,
    RepositoryCreate,
    RepositoryUpdate,
)

_PROJECT_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*\Z")  # \Z, not $: no trailing newline
_REPOSITORY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]*\Z")
# Bitbucket's messages, verbatim (no closing period).
KEY_RULE = ("Project keys must start with a letter and may only consist of ASCII letters, numbers and "
            "underscores (A-Z, a-z, 0-9, _)")
NAME_RULE = ("Repository names are limited to 128 characters. They must start with a letter or number and may "
             "contain spaces, hyphens, underscores and periods")


def _project_key(key: str | None) -> str:
    if not key:
        raise bad_request("The project key must be specified when creating a project.", "key")
    if len(key) > 128 or not _PROJECT_KEY.match(key):
        raise bad_request(KEY_RULE, "key")
    return key.upper()  # Bitbucket keeps project keys upper case


def _project_name(name: str | None) -> str:
    if not name or not name.strip():
        raise bad_request("The project name must be specified.", "name")
    if len(name) > 255 or name.startswith("~"):
        raise bad_request("Project names are limited to 255 characters and may not start with '~'.", "name")
    return name


async def _check_project_free(conn, key: str, name: str, except_id: int | None = None) -> None:
    taken = await store.project_taken(conn, key, name, except_id)
    if taken == "key":
        raise conflict(f"Project key {key} is already in use.", DUPLICATE_PROJECT)
    if taken == "name":
        raise conflict(f"Project name {name} is already in use.", DUPLICATE_PROJECT)


async def create_project(conn: AsyncConnection, creator: Principal, body: ProjectCreate) -> ProjectRef:
    key, name = _project_key(body.key), _project_name(body.name)
    await _check_project_free(conn, key, name)
    try:
        project_id = await store.insert_project(conn, key=key, name=name, description=body.description or None,
                                                public=bool(body.public), created_date=now_ms())
    except IntegrityError:  # a concurrent request took the key or name after the check
        raise conflict(f"Project key {key} or name {name} is already in use.", DUPLICATE_PROJECT) from None
    if creator.user_id:  # not the CLI operator (id 0)
        # The creator administers the new project, as in Bitbucket.
        await store.set_grant(conn, "project", project_id, creator.user_id, perms.ADMIN)
    return await store.get_project(conn, project_id)


async def update_project(conn: AsyncConnection, project: ProjectRef, body: ProjectUpdate) -> ProjectRef:
    key = _project_key(body.key) if body.key is not None else project.key
    name = _project_name(body.name) if body.name is not None else project.name
    await _check_project_free(conn, key, name, except_id=project.id)
    values = {"key": key, "name": name}
    if body.description is not None:
        values["description"] = body.description or None
    if body.public is not None:
        values["public"] = body.public
    try:
        await store.update_project(conn, project.id, **values)
    except IntegrityError:  # a concurrent request took the key or name after the check
        raise conflict(f"Project key {key} or name {name} is already in use.", DUPLICATE_PROJECT) from None
    return await store.get_project(conn, project.id)


async def list_projects(conn: AsyncConnection, caller: Principal, name: str | None, permission: str | None,
                        start: int, limit: int):
    """The projects the caller sees, or (`permission`) those on which they hold at least that permission."""
    if permission in (None, "", "PROJECT_VIEW"):
        level = None
    elif permission in perms.PROJECT:
        level = perms.PROJECT[permission]
    else:  # the OpenAPI file: 400 for a permission unknown or not related to projects
        raise bad_request(f"'{permission}' is not a project permission; use PROJECT_VIEW, PROJECT_READ, "
                          "PROJECT_WRITE or PROJECT_ADMIN.", "permission")
    return await store.list_projects(conn, caller, name, level, start, limit)


async def delete_project(conn: AsyncConnection, project: ProjectRef) -> None:
    if await store.count_repositories(conn, project.id):
        raise conflict(f'The project "{project.key}" cannot be deleted because it has repositories.')
    await auth_store.delete_service_users_of(conn, project_id=project.id)
    await store.delete_project(conn, project.id)


def repository_slug(name: str) -> str:
    """Bitbucket's slug: the name lower-cased, runs of spaces turned into '-'."""
    return re.sub(r"\s+", "-", name.strip()).lower()


def _repository_name(name: str | None) -> str:
    if not name or len(name) > 128 or not _REPOSITORY_NAME.match(name):
        raise bad_request(NAME_RULE, "name")
    return name


def _default_branch(value: str | None, fallback: str) -> str:
    if not value:
        return fallback
    ref = value if value.startswith("refs/") else f"refs/heads/{value}"
    if len(ref) > 1024:
        raise bad_request("The default branch is limited to 1024 characters (as refs/heads/...).",
                          "defaultBranch")
    return ref


async def create_repository(conn: AsyncConnection, project: ProjectRef, body: RepositoryCreate) -> RepositoryRef:
    name = _repository_name(body.name)
    if body.scm_id not in (None, "git"):
        raise bad_request("Only git repositories are supported.", "scmId")
    slug = repository_slug(name)
    if await store.repository_slug_taken(conn, project.id, slug):
        raise conflict(f"This repository URL is already taken by '{name}' in '{project.name}'",
                       DUPLICATE_REPOSITORY)
    try:
        repository_id = await store.insert_repository(
            conn, project_id=project.id, slug=slug, name=name, description=body.description or None,
            public=bool(body.public), forkable=True if body.forkable is None else body.forkable,
            default_branch=_default_branch(body.default_branch, "refs/heads/main"),  # decision D11
            hierarchy_id=secrets.token_hex(10), created_date=now_ms())
    except IntegrityError:  # a concurrent request took the slug after the check
        raise conflict(f"This repository URL is already taken by '{name}' in '{project.name}'",
                       DUPLICATE_REPOSITORY) from None
    return await store.get_repository(conn, repository_id, project)


async def update_repository(conn: AsyncConnection, repository: RepositoryRef,
                            body: RepositoryUpdate) -> RepositoryRef:
    values: dict = {}
    if body.name is not None and body.name != repository.name:
        values["name"] = _repository_name(body.name)
        values["slug"] = repository_slug(values["name"])
        if await store.repository_slug_taken(conn, repository.project.id, values["slug"], repository.id):
            raise conflict(f"This repository URL is already taken in '{repository.project.name}'",
                           DUPLICATE_REPOSITORY)
    for field in ("description", "public", "forkable"):
        if getattr(body, field) is not None:
            values[field] = getattr(body, field)
    if body.default_branch:
        values["default_branch"] = _default_branch(body.default_branch, repository.default_branch)
    if values:
        try:
            await store.update_repository(conn, repository.id, **values)
        except IntegrityError:  # a concurrent request took the slug after the check
            raise conflict(f"This repository URL is already taken in '{repository.project.name}'",
                           DUPLICATE_REPOSITORY) from None
    return await store.get_repository(conn, repository.id, repository.project)


async def set_default_branch(conn: AsyncConnection, repository: RepositoryRef, ref: str) -> None:
    await store.update_repository(conn, repository.id, default_branch=_default_branch(ref, repository.default_branch))


def default_branch_json(repository: RepositoryRef) -> dict:
    ref = repository.default_branch
    return {"id": ref, "displayId": ref.removeprefix("refs/heads/"), "type": "BRANCH"}


async def list_repositories(conn: AsyncConnection, caller: Principal, project: ProjectRef, start: int, limit: int):
    return await store.list_repositories(conn, caller, project, start, limit)


async def search_repositories(conn: AsyncConnection, caller: Principal, text: str | None, start: int, limit: int):
    return await store.search_repositories(conn, caller, text, start, limit)


async def delete_repository(conn: AsyncConnection, repository: RepositoryRef) -> None:
    """Delete the repository and everything stored for it (every child table cascades), and its tokens' users."""
    await auth_store.delete_service_users_of(conn, repository_id=repository.id)
    await store.delete_repository(conn, repository.id)


def parse_grant(scope: str, permission: str | None) -> int:
    table = perms.PROJECT if scope == "project" else perms.REPOSITORY
    if permission not in table:
        raise bad_request(f"'{permission}' is not a valid permission here; use one of {', '.join(table)}.",
                          "permission")
    return table[permission]


async def grant(conn: AsyncConnection, scope: str, owner_id: int, names: list[str], permission: str | None):
    level = parse_grant(scope, permission)
    if not names:
        raise bad_request("At least one user name is required.", "name")
    for name in names:
        user = await users.require_user(conn, name)
        await store.set_grant(conn, scope, owner_id, user.id, level)


async def list_grants(conn: AsyncConnection, scope: str, owner_id: int, start: int, limit: int):
    return await store.list_grants(conn, scope, owner_id, start, limit)


async def revoke(conn: AsyncConnection, scope: str, owner_id: int, name: str | None) -> None:
    user = await users.require_user(conn, name)
    await store.revoke_grant(conn, scope, owner_id, user.id)


async def grant_groups(conn: AsyncConnection, caller: Principal, scope: str, owner_id: int, names: list[str],
                       permission: str | None, level_now=None) -> None:
    """Grant `permission` to the named groups; refused when it lowers the caller's own level (read by
    `level_now`; None for the operator, who holds no grant)."""
    level = parse_grant(scope, permission)
    if not names:
        raise bad_request("At least one group name is required.", "name")
    found = [await users.require_group(conn, name) for name in names]
    before = await level_now() if level_now else 0
    for group in found:
        await store.set_group_grant(conn, scope, owner_id, group.id, level)
    if level_now:
        await users.keeps_own_level(caller, before, level_now)


async def revoke_group(conn: AsyncConnection, caller: Principal, scope: str, owner_id: int, name: str | None,
                       level_now) -> None:
    group = await users.require_group(conn, name)
    before = await level_now()
    await store.revoke_group_grant(conn, scope, owner_id, group.id)
    await users.keeps_own_level(caller, before, level_now)


async def list_group_grants(conn: AsyncConnection, scope: str, owner_id: int, filter_text: str | None, start: int,
                            limit: int, granted: bool = True):
    return await store.list_group_grants(conn, scope, owner_id, filter_text, start, limit, granted)


# --- project and repository access tokens: each acts as its own service user through one grant --------------

def _scope(target: ProjectRef | RepositoryRef) -> tuple[str, dict]:
    if isinstance(target, RepositoryRef):
        return "repository", {"repository_id": target.id}
    return "project", {"project_id": target.id}


async def _grant_service_user(conn: AsyncConnection, target, user_id: int, caps: tuple[int, int]) -> None:
    # One grant at the higher level; the token's caps bring the project level down to what was chosen.
    scope, _ = _scope(target)
    await store.set_grant(conn, scope, target.id, user_id, max(caps))


async def create_scoped_token(conn: AsyncConnection, target: ProjectRef | RepositoryRef, name: str,
                              permission_names: list[str], expiry_days: int | None):
    """A project or repository token; its service user is named after it (a guess: "token-<id>")."""
    scope, owner = _scope(target)
    caps = users.token_caps(permission_names, scope)
    token_id = users.new_token_id()
    user_id = await auth_store.insert_user(conn, name=f"token-{token_id}", slug=f"token-{token_id}",
                                           display_name=name, email="", password_hash="", active=True,
                                           service=True, created_date=now_ms())
    await _grant_service_user(conn, target, user_id, caps)
    secret = await users.insert_token(conn, token_id, user_id, name, caps, expiry_days, **owner)
    return await scoped_token(conn, target, token_id), secret


async def scoped_token(conn: AsyncConnection, target: ProjectRef | RepositoryRef, token_id: str):
    """(token, its service user) of the project or repository."""
    scope, owner = _scope(target)
    row = await users.find_token(conn, owner, token_id, scope)
    return row, (await auth_store.users_by_id(conn, [row.user_id]))[row.user_id]


async def list_scoped_tokens(conn: AsyncConnection, target: ProjectRef | RepositoryRef, start: int, limit: int):
    _, owner = _scope(target)
    rows = await auth_store.list_tokens(conn, owner, start, limit)
    service_users = await auth_store.users_by_id(conn, [r.user_id for r in rows])
    return [(r, service_users[r.user_id]) for r in rows]


async def update_scoped_token(conn: AsyncConnection, target: ProjectRef | RepositoryRef, token_id: str,
                              name: str | None, permission_names: list[str] | None, expiry_days: int | None):
    scope, _ = _scope(target)
    row, _user = await scoped_token(conn, target, token_id)
    caps = users.token_caps(permission_names, scope) if permission_names is not None else None
    await auth_store.update_token(conn, row.id, **users.token_changes(row, name, caps, expiry_days))
    if caps is not None:
        await _grant_service_user(conn, target, row.user_id, caps)
    if name is not None:
        await auth_store.rename_service_user(conn, row.user_id, name)
    return await scoped_token(conn, target, token_id)


async def delete_scoped_token(conn: AsyncConnection, target: ProjectRef | RepositoryRef, token_id: str) -> None:
    row, _user = await scoped_token(conn, target, token_id)
    await auth_store.delete_token(conn, row.id, service_user_id=row.user_id)


async def repository_ids(conn: AsyncConnection) -> list[int]:
    return await store.repository_ids(conn)
