"""Admin commands, thin over the services: users, tokens, projects, repositories, grants."""

from __future__ import annotations

import asyncio
import json
import sys
from contextlib import asynccontextmanager
from datetime import datetime, timezone

import click

from cairn.auth import audit
from cairn.auth import service as users
from cairn.auth import store as auth_store
from cairn.auth.passwords import make_hasher
from cairn.auth.principal import Principal
from cairn.config import Settings
from cairn.db import migrate
from cairn.db.engine import create_engine
from cairn.db.uow import unit_of_work
from cairn.errors import CairnError
from cairn.projects import service as projects
from cairn.projects.schemas import ProjectCreate, RepositoryCreate

# The CLI acts as the operator: full rights, like a system administrator.
OPERATOR = Principal(user_id=0, name="cairn-cli", global_grant=4)  # id 0: no such user row


@asynccontextmanager
async def _session():
    settings = Settings.from_env()
    engine = create_engine(settings)
    try:
        await migrate.upgrade(engine)
        async with unit_of_work(engine) as conn:
            yield settings, conn
    finally:
        await engine.dispose()


def _run(coro_fn) -> None:
    try:
        asyncio.run(coro_fn())
    except CairnError as error:
        raise click.ClickException(error.message) from None


async def _audit(conn, action: str, details: dict, project_key: str | None = None,
                 repository_slug: str | None = None) -> None:
    """The trail's entry for a change made here: by the operator ("cairn-cli"), from no address."""
    await audit.record(conn, OPERATOR, None, action, details, project_key, repository_slug)


async def _audit_grant(conn, target, details: dict, project_key: str | None, repository: str | None) -> None:
    scope = target[0].upper() if target else "GLOBAL"
    key, _, slug = (repository or "").partition("/")
    await _audit(conn, f"{scope}_PERMISSION_GRANTED", details, key or project_key, slug or None)


async def _project(conn, key: str):
    from cairn.auth.store import project_access
    project, _ = await project_access(conn, None, key)
    if project is None:
        raise click.ClickException(f"Project {key} does not exist.")
    return project


@click.group()
def user() -> None:
    """Users."""


@user.command("create")
@click.argument("name")
@click.option("--display-name", default=None, help="Defaults to the name.")
@click.option("--email", default=None, help="Defaults to NAME@localhost.")
@click.option("--permission", type=click.Choice(["LICENSED_USER", "PROJECT_CREATE", "ADMIN", "SYS_ADMIN"]),
              default="LICENSED_USER", show_default=True, help="Global permission.")
def create_user(name: str, display_name: str | None, email: str | None, permission: str) -> None:
    """Create a user; the password is read from standard input."""
    password = sys.stdin.readline().rstrip("\r\n")

    async def run():
        async with _session() as (settings, conn):
            user_id = await users.create_user(conn, make_hasher(settings.argon2_profile), users.NewUser(
                name, password, display_name or name, email or f"{name}@localhost"))
            await auth_store.set_global_permission(
                conn, user_id, None if permission == "LICENSED_USER" else users.parse_global_permission(permission))
            await _audit(conn, "USER_CREATED", {"name": name, "permission": permission})
        click.echo(f"created user {name}")
    _run(run)


@click.group()
def token() -> None:
    """Personal access tokens."""


@token.command("create")
@click.argument("username")
@click.option("--name", "token_name", required=True, help="The token's name.")
@click.option("--permission", "permissions", multiple=True, required=True,
              help="PROJECT_READ/WRITE/ADMIN or REPO_READ/WRITE/ADMIN (repeatable).")
@click.option("--expiry-days", type=int, default=None)
def create_token(username: str, token_name: str, permissions: tuple[str, ...], expiry_days: int | None) -> None:
    """Create a personal access token for USERNAME and print its secret (shown only once)."""
    async def run():
        async with _session() as (_settings, conn):
            row = await users.require_user(conn, username)
            _owner, token_row, secret = await users.create_token(conn, row.slug, token_name, list(permissions),
                                                                 expiry_days)
            await _audit(conn, "ACCESS_TOKEN_CREATED", {"userSlug": row.slug, "name": token_name,
                                                        "permissions": list(permissions), "tokenId": token_row.id})
        click.echo(secret)
    _run(run)


@click.group()
def project() -> None:
    """Projects."""


@project.command("create")
@click.argument("key")
@click.argument("name")
@click.option("--description", default=None)
@click.option("--public", is_flag=True, default=False)
def create_project(key: str, name: str, description: str | None, public: bool) -> None:
    """Create a project."""
    async def run():
        async with _session() as (_settings, conn):
            created = await projects.create_project(conn, OPERATOR, ProjectCreate(
                key=key, name=name, description=description, public=public))
            await _audit(conn, "PROJECT_CREATED", {"name": name, "public": public}, created.key)
        click.echo(f"created project {created.key}")
    _run(run)


@click.group()
def repo() -> None:
    """Repositories."""


@repo.command("create")
@click.argument("project_key")
@click.argument("name")
@click.option("--default-branch", default=None)
@click.option("--public", is_flag=True, default=False)
def create_repository(project_key: str, name: str, default_branch: str | None, public: bool) -> None:
    """Create a repository in PROJECT_KEY."""
    async def run():
        async with _session() as (_settings, conn):
            created = await projects.create_repository(conn, await _project(conn, project_key), RepositoryCreate(
                name=name, default_branch=default_branch, public=public))
            await _audit(conn, "REPOSITORY_CREATED", {"name": name, "public": public}, created.project.key,
                         created.slug)
        click.echo(f"created repository {created.project.key}/{created.slug}")
    _run(run)


async def _grant_target(conn, project_key: str | None, repository: str | None) -> tuple[str, int] | None:
    """(scope, id) of the project (--project) or repository (--repo KEY/slug) a grant is on; None: global."""
    if repository:
        key, _, slug = repository.partition("/")
        _project_ref, repo_ref, _row = await auth_store.repository_access(conn, None, key, slug)
        if repo_ref is None:
            raise click.ClickException(f"Repository {repository} does not exist.")
        return "repository", repo_ref.id
    if project_key:
        return "project", (await _project(conn, project_key)).id
    return None


_WHERE = (click.option("--project", "project_key", default=None, help="Grant on this project."),
          click.option("--repo", "repository", default=None, help="Grant on this repository (KEY/slug)."))


def _where(command):
    for option in reversed(_WHERE):
        command = option(command)
    return command


@click.command()
@click.argument("username")
@click.argument("permission")
@_where
def grant(username: str, permission: str, project_key: str | None, repository: str | None) -> None:
    """Grant PERMISSION to USERNAME: globally, on a project (--project) or a repository (--repo KEY/slug)."""
    async def run():
        async with _session() as (_settings, conn):
            target = await _grant_target(conn, project_key, repository)
            if target:
                await projects.grant(conn, *target, [username], permission)
            else:
                await users.grant_global(conn, OPERATOR, username, permission)
            await _audit_grant(conn, target, {"name": username, "permission": permission}, project_key, repository)
        click.echo(f"granted {permission} to {username}")
    _run(run)


@click.group()
def group() -> None:
    """Groups of users, granted permissions like users."""


@group.command("create")
@click.argument("name")
def create_group(name: str) -> None:
    """Create a group."""
    async def run():
        async with _session() as (_settings, conn):
            await users.create_group(conn, name)
            await _audit(conn, "GROUP_CREATED", {"name": name})
        click.echo(f"created group {name}")
    _run(run)


@group.command("add")
@click.argument("name")
@click.argument("usernames", nargs=-1, required=True)
def add_to_group(name: str, usernames: tuple[str, ...]) -> None:
    """Add USERNAMES to the group NAME."""
    async def run():
        async with _session() as (_settings, conn):
            await users.add_members(conn, OPERATOR, name, list(usernames), "group", "user")
            await _audit(conn, "GROUP_MEMBERS_ADDED", {"group": name, "users": list(usernames)})
        click.echo(f"added {', '.join(usernames)} to {name}")
    _run(run)


@group.command("remove")
@click.argument("name")
@click.argument("username")
def remove_from_group(name: str, username: str) -> None:
    """Remove USERNAME from the group NAME."""
    async def run():
        async with _session() as (_settings, conn):
            await users.remove_member(conn, OPERATOR, name, username, "group", "user")
            await _audit(conn, "GROUP_MEMBER_REMOVED", {"group": name, "user": username})
        click.echo(f"removed {username} from {name}")
    _run(run)


@group.command("grant")
@click.argument("name")
@click.argument("permission")
@_where
def grant_group(name: str, permission: str, project_key: str | None, repository: str | None) -> None:
    """Grant PERMISSION to the group NAME: globally, on a project (--project) or a repository (--repo KEY/slug)."""
    async def run():
        async with _session() as (_settings, conn):
            target = await _grant_target(conn, project_key, repository)
            if target:
                await projects.grant_groups(conn, OPERATOR, *target, [name], permission)
            else:
                await users.grant_global_to_group(conn, OPERATOR, name, permission)
            await _audit_grant(conn, target, {"group": name, "permission": permission}, project_key, repository)
        click.echo(f"granted {permission} to group {name}")
    _run(run)


def _moment(text: str | None) -> int | None:
    """Milliseconds since the epoch of an ISO 8601 date or time (UTC unless it says otherwise)."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"'{text}' is not an ISO 8601 date or time, e.g. 2026-12-03 or "
                                 "2026-12-03T09:30") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


@click.command("audit")
@click.option("--user", default=None, help="Only what this user did.")
@click.option("--repo", "repository", default=None, help="Only what happened to this repository (KEY/slug).")
@click.option("--project", "project_key", default=None, help="Only what happened in this project.")
@click.option("--since", default=None, help="From this time on (ISO 8601, UTC unless it says otherwise).")
@click.option("--until", default=None, help="Before this time (ISO 8601).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def audit_log(user: str | None, repository: str | None, project_key: str | None, since: str | None,
              until: str | None, limit: int, as_json: bool) -> None:
    """Print the audit trail, newest first: who changed what, when and from where."""
    key, slug = (repository.partition("/")[::2] if repository else (project_key, None))
    since_ms, until_ms = _moment(since), _moment(until)

    async def run():
        async with _session() as (_settings, conn):
            rows = await auth_store.list_audit_events(conn, user, key, slug, since_ms, until_ms, limit)
        for row in rows:
            when = datetime.fromtimestamp(row.created_date / 1000, tz=timezone.utc).isoformat(timespec="seconds")
            where = "/".join(part for part in (row.project_key, row.repository_slug) if part) or "-"
            if as_json:
                click.echo(json.dumps({"time": when, "user": row.actor_name, "address": row.address,
                                       "action": row.action, "target": where, "details": json.loads(row.details)}))
            else:
                click.echo(f"{when}  {row.actor_name or 'anonymous'}  {row.address or '-'}  {row.action}  {where}  "
                           f"{row.details}")
    _run(run)


COMMANDS = [user, group, token, project, repo, grant, audit_log]
