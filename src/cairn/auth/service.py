"""Users, personal access tokens and global permissions."""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.auth import permissions as perms
from cairn.auth import store
from cairn.auth.backoff import FailedSignIns
from cairn.auth.credentials import token_hash
from cairn.auth.passwords import hash_password, verify_password
from cairn.auth.principal import ANONYMOUS, Principal
from cairn.errors import (
    AUTHORISATION,
    DUPLICATE_GROUP,
    DUPLICATE_USER,
    NO_SUCH_ENTITY,
    NO_SUCH_GROUP,
    NO_SUCH_USER,
    CairnError,
    bad_request,
    conflict,
    not_found,
    unauthorized,
)
from cairn.kit.clock import now_ms

_USER_NAME = re.compile(r"^[^\s/\\]{1,255}\Z")  # \Z, not $: no trailing newline


def user_slug(name: str) -> str:
    """Bitbucket's user slug: the lower-cased name with URL-unsafe characters replaced."""
    return re.sub(r"[^a-z0-9._~-]", "_", name.lower())


@dataclass(frozen=True)
class NewUser:
    name: str
    password: str
    display_name: str
    email: str


def _require(value: str | None, context: str, label: str) -> str:
    if value is None or not value.strip():
        raise bad_request(f"{label} is required.", context)
    if len(value) > 255:
        raise bad_request(f"{label} must be at most 255 characters.", context)
    return value


async def create_user(conn: AsyncConnection, hasher: PasswordHasher, new: NewUser) -> int:
    name = _require(new.name, "name", "The username")
    if not _USER_NAME.match(name):
        raise bad_request("Usernames may not contain whitespace or slashes.", "name")
    _require(new.display_name, "displayName", "The display name")
    _require(new.email, "emailAddress", "The email address")
    if "@" not in new.email:
        raise bad_request("The email address is not valid.", "emailAddress")
    if not new.password:
        raise bad_request("A password is required.", "password")
    # User names are unique whatever their case, as in Bitbucket's internal directory.
    if await store.user_by_name_any_case(conn, name):
        raise conflict(f"A user with the name '{name}' already exists.", DUPLICATE_USER)
    slug = await _free_slug(conn, user_slug(name))
    password_hash = await hash_password(hasher, new.password)
    try:
        return await store.insert_user(conn, name=name, slug=slug, display_name=new.display_name,
                                       email=new.email, password_hash=password_hash, active=True,
                                       created_date=now_ms())
    except IntegrityError:
        raise conflict(f"A user with the name '{name}' already exists.", DUPLICATE_USER) from None


async def _free_slug(conn: AsyncConnection, slug: str) -> str:
    """`slug`, or `slug_2`, `slug_3`... when distinct names share it ("jürgen" and "jörgen" are both "j_rgen")."""
    candidate, n = slug, 1
    while await store.user_by_slug(conn, candidate) is not None:
        n += 1
        candidate = f"{slug[:250]}_{n}"
    return candidate


async def require_user(conn: AsyncConnection, name: str | None, by_slug: bool = False, context: str = "name"):
    if not name:
        raise bad_request("The user name is required.", context)
    row = await (store.user_by_slug(conn, name) if by_slug else store.user_by_name(conn, name))
    if row is None or row.service:  # a token's service user is managed through its token only
        raise not_found(f"User {name} does not exist.", NO_SUCH_USER)
    return row


async def list_users(conn: AsyncConnection, filter_text: str | None, start: int, limit: int):
    return await store.list_users(conn, filter_text, start, limit)


async def delete_user(conn: AsyncConnection, caller: Principal, name: str | None):
    row = await require_user(conn, name)
    if row.id == caller.user_id:
        # The OpenAPI file: 409, "a user can not delete themselves".
        raise conflict("You cannot delete yourself.")
    if (row.global_grant or 0) > caller.global_level:
        raise unauthorized(False)
    await store.delete_user(conn, row.id)
    return row


async def list_global_permissions(conn: AsyncConnection, start: int, limit: int):
    return await store.list_global_permissions(conn, start, limit)


def parse_global_permission(name: str | None) -> int:
    if name not in perms.GLOBAL:
        raise bad_request(f"'{name}' is not a global permission; use one of {', '.join(perms.GLOBAL)}.",
                          "permission")
    return perms.GLOBAL[name]


async def grant_global(conn: AsyncConnection, caller: Principal, name: str | None, permission: str | None):
    level = parse_global_permission(permission)
    row = await require_user(conn, name)
    # A user may not grant (or take away) more than they hold themselves, as in Bitbucket.
    if level > caller.global_level or (row.global_grant or 0) > caller.global_level:
        raise unauthorized(False)
    _not_lowering_own(caller, row, level)
    await store.set_global_permission(conn, row.id, None if level == perms.LICENSED_USER else level)


async def revoke_global(conn: AsyncConnection, caller: Principal, name: str | None) -> None:
    row = await require_user(conn, name)
    if (row.global_grant or 0) > caller.global_level:
        raise unauthorized(False)
    _not_lowering_own(caller, row, perms.LICENSED_USER)
    await store.set_global_permission(conn, row.id, None)


def _not_lowering_own(caller: Principal, row, level: int) -> None:
    # The OpenAPI file: 409 when the change "would reduce the currently authenticated user's permission"
    # (it would also let the last administrator lock everyone out).
    if row.id == caller.user_id and level < (row.global_grant or perms.LICENSED_USER):
        raise conflict("You cannot reduce your own global permission.")


# --- groups -------------------------------------------------------------------------------------

_GROUP_NAME = re.compile(r"^\S(?:[^\x00-\x1f\x7f]{0,253}\S)?\Z")


async def require_group(conn: AsyncConnection, name: str | None, context: str = "name"):
    if not name:
        raise bad_request("The group name is required.", context)
    row = await store.group_by_name(conn, name)
    if row is None:
        raise not_found(f"Group {name} does not exist.", NO_SUCH_GROUP, context)
    return row


async def create_group(conn: AsyncConnection, name: str | None):
    if not name or not _GROUP_NAME.match(name):
        raise bad_request("A group name must be 1 to 255 characters, without control characters or "
                          "surrounding spaces.", "name")
    if await store.group_by_name(conn, name):
        raise conflict(f"A group with the name '{name}' already exists.", DUPLICATE_GROUP)
    try:
        await store.insert_group(conn, name, now_ms())
    except IntegrityError:
        raise conflict(f"A group with the name '{name}' already exists.", DUPLICATE_GROUP) from None
    return await store.group_by_name(conn, name)


def _may_manage(caller: Principal, group) -> None:
    # Bitbucket: 403 for a group "with greater permissions than themselves".
    if (group.global_grant or 0) > caller.global_level:
        raise CairnError(403, "You may not change a group that has a higher global permission than you.",
                         AUTHORISATION)


async def keeps_own_level(caller: Principal, before: int, level_now) -> None:
    """409 when a change in this transaction lowered the caller's own level (`level_now` re-reads it), as
    Bitbucket refuses any change that "would lower the authenticated user's permission level"; raising
    rolls the change back."""
    if caller.user_id and await level_now() < before:
        raise conflict("You cannot make a change that would reduce your own permission level.")


async def _own_global(conn: AsyncConnection, caller: Principal) -> int:
    row = await store.user_by_slug(conn, caller.slug) if caller.slug else None
    return (row.global_grant or 0) if row else 0


async def _guarded(conn: AsyncConnection, caller: Principal, change) -> None:
    """Apply `change`, refusing it when it lowers the caller's own global permission."""
    before = await _own_global(conn, caller)
    await change()
    await keeps_own_level(caller, before, lambda: _own_global(conn, caller))


async def delete_group(conn: AsyncConnection, caller: Principal, name: str | None):
    group = await require_group(conn, name)
    _may_manage(caller, group)
    await _guarded(conn, caller, lambda: store.delete_group(conn, group.id))
    return group


async def list_groups(conn: AsyncConnection, filter_text: str | None, start: int, limit: int):
    return await store.list_groups(conn, filter_text, start, limit)


async def add_members(conn: AsyncConnection, caller: Principal, group_name: str | None, user_names: list[str],
                      group_context: str, user_context: str) -> None:
    group = await require_group(conn, group_name, group_context)
    _may_manage(caller, group)
    if not user_names:
        raise bad_request("At least one user name is required.", user_context)
    for name in user_names:
        user = await require_user(conn, name, context=user_context)
        await store.add_member(conn, group.id, user.id)


async def add_to_groups(conn: AsyncConnection, caller: Principal, user_name: str | None, group_names: list[str],
                        user_context: str, group_context: str) -> None:
    user = await require_user(conn, user_name, context=user_context)
    if not group_names:
        raise bad_request("At least one group name is required.", group_context)
    for name in group_names:
        group = await require_group(conn, name, group_context)
        _may_manage(caller, group)
        await store.add_member(conn, group.id, user.id)


async def remove_member(conn: AsyncConnection, caller: Principal, group_name: str | None,
                        user_name: str | None, group_context: str, user_context: str) -> None:
    group = await require_group(conn, group_name, group_context)
    _may_manage(caller, group)
    user = await require_user(conn, user_name, context=user_context)
    await _guarded(conn, caller, lambda: store.remove_member(conn, group.id, user.id))


async def list_members(conn: AsyncConnection, group_name: str | None, filter_text: str | None, start: int,
                       limit: int, member: bool = True):
    group = await require_group(conn, group_name, "context")
    return await store.list_members(conn, group.id, filter_text, start, limit, member)


async def list_groups_of(conn: AsyncConnection, user_name: str | None, filter_text: str | None, start: int,
                         limit: int, member: bool = True):
    user = await require_user(conn, user_name, context="context")
    return await store.list_groups(conn, filter_text, start, limit, user_id=user.id, member=member)


async def list_global_group_permissions(conn: AsyncConnection, filter_text: str | None, start: int, limit: int,
                                        granted: bool = True):
    return await store.list_global_group_permissions(conn, filter_text, start, limit, granted)


async def grant_global_to_group(conn: AsyncConnection, caller: Principal, name: str | None,
                                permission: str | None) -> None:
    level = parse_global_permission(permission)
    group = await require_group(conn, name)
    if level > caller.global_level:
        raise unauthorized(False)
    _may_manage(caller, group)
    await _guarded(conn, caller, lambda: store.set_global_group_permission(conn, group.id, level))


async def revoke_global_from_group(conn: AsyncConnection, caller: Principal, name: str | None) -> None:
    group = await require_group(conn, name)
    _may_manage(caller, group)
    await _guarded(conn, caller, lambda: store.set_global_group_permission(conn, group.id, None))


def token_caps(names: list[str], scope: str = "user") -> tuple[int, int]:
    """(project, repository) levels a token's permission names give; a repository token has no project level."""
    project = repository = perms.NONE
    for name in names:
        if name in perms.PROJECT and scope != "repository":
            project = max(project, perms.PROJECT[name])
        elif name in perms.REPOSITORY:
            repository = max(repository, perms.REPOSITORY[name])
        else:
            allowed = "REPO_READ, REPO_WRITE or REPO_ADMIN" if scope == "repository" else (
                "PROJECT_READ, PROJECT_WRITE, PROJECT_ADMIN, REPO_READ, REPO_WRITE or REPO_ADMIN")
            raise bad_request(f"'{name}' is not a permission for this token; use {allowed}.", "permissions")
    # A repository permission below the project one is implied by it (Bitbucket shows both).
    return project, max(repository, project)


def new_token_secret() -> str:
    """A 256-bit secret; the 'BBDC-' prefix mirrors Bitbucket's HTTP access tokens."""
    return "BBDC-" + secrets.token_urlsafe(32)


def new_token_id() -> str:
    return str(secrets.randbelow(9 * 10**11) + 10**11)  # 12 digits, like Bitbucket's ids


def _expires(created: int, expiry_days: int | None) -> int | None:
    return None if expiry_days is None else created + expiry_days * 86_400_000


async def insert_token(conn: AsyncConnection, token_id: str, user_id: int, name: str, caps: tuple[int, int],
                       expiry_days: int | None, **scope) -> str:
    """Store a new token (scope: project_id or repository_id for a project or repository token); its secret."""
    secret = new_token_secret()
    created = now_ms()
    await store.insert_token(conn, id=token_id, user_id=user_id, name=name, secret_hash=token_hash(secret),
                             project_permission=caps[0], repository_permission=caps[1], expiry_days=expiry_days,
                             created_date=created, expires_date=_expires(created, expiry_days), **scope)
    return secret


def token_changes(row, name: str | None, caps: tuple[int, int] | None, expiry_days: int | None) -> dict:
    """The columns an update (POST) of a token changes; the expiry counts from the token's creation (a guess:
    the document does not say)."""
    changes = {}
    if name is not None:
        changes["name"] = name
    if caps is not None:
        changes.update(project_permission=caps[0], repository_permission=caps[1])
    if expiry_days is not None:
        changes.update(expiry_days=expiry_days, expires_date=_expires(row.created_date, expiry_days))
    return changes


async def create_token(conn: AsyncConnection, owner_slug: str, name: str, permission_names: list[str],
                       expiry_days: int | None):
    owner = await require_user(conn, owner_slug, by_slug=True)
    token_id = new_token_id()
    secret = await insert_token(conn, token_id, owner.id, name, token_caps(permission_names), expiry_days)
    return owner, await store.get_token(conn, {"user_id": owner.id}, token_id), secret


async def list_tokens(conn: AsyncConnection, owner_slug: str, start: int, limit: int):
    owner = await require_user(conn, owner_slug, by_slug=True)
    return owner, await store.list_tokens(conn, {"user_id": owner.id}, start, limit)


async def find_token(conn: AsyncConnection, owner: dict, token_id: str, whose: str):
    row = await store.get_token(conn, owner, token_id)
    if row is None:
        raise not_found(f"No access token with ID {token_id} exists for this {whose}.", NO_SUCH_ENTITY)
    return row


async def get_token(conn: AsyncConnection, owner_slug: str, token_id: str):
    owner = await require_user(conn, owner_slug, by_slug=True)
    return owner, await find_token(conn, {"user_id": owner.id}, token_id, "user")


async def update_token(conn: AsyncConnection, owner_slug: str, token_id: str, name: str | None,
                       permission_names: list[str] | None, expiry_days: int | None):
    owner, row = await get_token(conn, owner_slug, token_id)
    caps = token_caps(permission_names) if permission_names is not None else None
    await store.update_token(conn, row.id, **token_changes(row, name, caps, expiry_days))
    return owner, await store.get_token(conn, {"user_id": owner.id}, row.id)


async def record_token_uses(conn: AsyncConnection, uses: dict[str, int]) -> None:
    await store.record_token_uses(conn, uses)


async def delete_token(conn: AsyncConnection, owner_slug: str, token_id: str) -> None:
    _owner, row = await get_token(conn, owner_slug, token_id)
    await store.delete_token(conn, row.id)


# --- browser sessions (the web UI) ---------------------------------------------------------------

SESSION_DAYS = 14  # guess: a fortnight, so a developer signs in about twice a month


async def sign_in(conn: AsyncConnection, hasher: PasswordHasher, failures: FailedSignIns, name: str,
                  password: str) -> tuple[str | None, int]:
    """(a new session's secret, 0) for a right user name and password (never a token); (None, seconds to wait)
    while the name backs off (counted with the API's failures, see backoff.py); else (None, 0)."""
    wait = failures.wait(name)
    if wait:
        return None, wait
    row = await store.user_by_name(conn, name) if name and "\x00" not in name else None
    if row is None or not row.active:
        # Hash anyway, so the time taken does not tell a missing user from a wrong password.
        await verify_password(hasher, _decoy_hash(hasher), password)
        failures.failed(name)
        return None, 0
    if not await verify_password(hasher, row.password_hash, password):
        failures.failed(name)
        return None, 0
    failures.succeeded(name)
    secret = secrets.token_urlsafe(32)
    now = now_ms()
    await store.delete_expired_sessions(conn, row.id, now)
    await store.insert_session(conn, secret_hash=token_hash(secret), user_id=row.id, created_date=now,
                               expires_date=now + SESSION_DAYS * 86_400_000)
    return secret, 0


@functools.cache
def _decoy_hash(hasher: PasswordHasher) -> str:
    """A hash of a password nobody has, made once per hasher."""
    return hasher.hash(secrets.token_urlsafe(16))


async def session_principal(conn: AsyncConnection, secret: str | None) -> Principal:
    """Who a session cookie signs in: the user with their own rights (a browser holds no token cap)."""
    if not secret:
        return ANONYMOUS
    row = await store.session_user(conn, token_hash(secret), now_ms())
    if row is None or not row.active:
        return ANONYMOUS
    return Principal.of_user(row)


async def sign_out(conn: AsyncConnection, secret: str | None) -> None:
    if secret:
        await store.delete_session(conn, token_hash(secret))
