"""SQL for users, credentials, tokens, global permissions and access resolution."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    delete,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.auth import access
from cairn.auth import permissions as perms
from cairn.auth.principal import Principal
from cairn.db.dialect import highest_level
from cairn.kit.entities import ProjectRef, RepositoryRef
from cairn.models import (
    access_tokens,
    audit_events,
    global_group_permissions,
    global_permissions,
    group_members,
    groups,
    project_group_permissions,
    project_permissions,
    projects,
    repositories,
    repository_group_permissions,
    repository_permissions,
    users,
    web_sessions,
)

_GLOBAL = (select(global_permissions.c.permission)
           .where(global_permissions.c.user_id == users.c.id).scalar_subquery())
_GROUPS_GLOBAL = (select(func.max(global_group_permissions.c.permission))
                  .join(group_members, group_members.c.group_id == global_group_permissions.c.group_id)
                  .where(group_members.c.user_id == users.c.id).scalar_subquery())
_USER_BASE = [users.c.id, users.c.name, users.c.slug, users.c.display_name, users.c.email, users.c.active,
              users.c.password_hash, users.c.service]
PEOPLE = ~users.c.service  # users who are people, not a token's service user: the ones any listing shows
# global_grant: the user's own global permission or their groups', whichever is higher (0: none above licensed).
USER_COLUMNS = [*_USER_BASE, highest_level(_GLOBAL, _GROUPS_GLOBAL).label("global_grant")]

# Per scope: the users' grants table, the groups' grants table, and the column naming what is granted on.
_GRANTS = {"project": (project_permissions, project_group_permissions, "project_id"),
           "repository": (repository_permissions, repository_group_permissions, "repository_id")}


def held_grants(scope: str, user_id):
    """SQL: (owner_id, permission) of every grant in `scope` the user holds, their own or through a group."""
    user_grants, group_grants, owner = _GRANTS[scope]
    return union_all(
        select(user_grants.c[owner].label("owner_id"), user_grants.c.permission)
        .where(user_grants.c.user_id == user_id),
        select(group_grants.c[owner].label("owner_id"), group_grants.c.permission)
        .join(group_members, group_members.c.group_id == group_grants.c.group_id)
        .where(group_members.c.user_id == user_id),
    ).subquery()


def contains_pattern(text: str) -> str:
    """A lower-cased LIKE pattern matching `text` anywhere, its own % and _ taken literally (escape '\\')."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def user_by_name(conn: AsyncConnection, name: str):
    return (await conn.execute(select(*USER_COLUMNS).where(users.c.name == name))).first()


async def user_by_name_any_case(conn: AsyncConnection, name: str):
    return (await conn.execute(select(users.c.id).where(func.lower(users.c.name) == name.lower()))).first()


async def user_by_slug(conn: AsyncConnection, slug: str):
    return (await conn.execute(select(*USER_COLUMNS).where(users.c.slug == slug))).first()


async def token_with_user(conn: AsyncConnection, secret_hash: str):
    stmt = (select(access_tokens.c.id.label("token_id"), access_tokens.c.project_permission,
                   access_tokens.c.repository_permission, access_tokens.c.expires_date, *USER_COLUMNS)
            .join(users, users.c.id == access_tokens.c.user_id)
            .where(access_tokens.c.secret_hash == secret_hash))
    return (await conn.execute(stmt)).first()


async def insert_user(conn: AsyncConnection, **values) -> int:
    result = await conn.execute(users.insert().values(**values).returning(users.c.id))
    return result.scalar_one()


async def list_users(conn: AsyncConnection, filter_text: str | None, start: int, limit: int):
    stmt = (select(*USER_COLUMNS).where(PEOPLE, name_filter([users.c.name, users.c.display_name, users.c.email],
                                                              filter_text))
            .order_by(users.c.name).offset(start).limit(limit))
    return (await conn.execute(stmt)).all()


async def rename_service_user(conn: AsyncConnection, user_id: int, display_name: str) -> None:
    await conn.execute(update(users).where(users.c.id == user_id, users.c.service).values(display_name=display_name))


async def delete_user(conn: AsyncConnection, user_id: int) -> None:
    access.changed(conn)
    await conn.execute(delete(users).where(users.c.id == user_id))


async def set_global_permission(conn: AsyncConnection, user_id: int, level: int | None) -> None:
    access.changed(conn)
    await conn.execute(delete(global_permissions).where(global_permissions.c.user_id == user_id))
    if level:
        await conn.execute(global_permissions.insert().values(user_id=user_id, permission=level))


async def list_global_permissions(conn: AsyncConnection, start: int, limit: int):
    stmt = (select(*_USER_BASE, _GLOBAL.label("global_grant")).where(_GLOBAL.isnot(None)).order_by(users.c.name)
            .offset(start).limit(limit))
    return (await conn.execute(stmt)).all()


def name_filter(columns, filter_text: str | None):
    """SQL: any of `columns` contains `filter_text`, ignoring case (true when there is no filter)."""
    if not filter_text:
        return true()
    like = contains_pattern(filter_text)
    return or_(*(func.lower(column).like(like, escape="\\") for column in columns))


async def group_by_name(conn: AsyncConnection, name: str):
    """The group (id, name, global_grant) named `name`, whatever its case."""
    grant = (select(global_group_permissions.c.permission)
             .where(global_group_permissions.c.group_id == groups.c.id).scalar_subquery())
    stmt = select(groups.c.id, groups.c.name, grant.label("global_grant")).where(
        func.lower(groups.c.name) == name.lower())
    return (await conn.execute(stmt)).first()


async def insert_group(conn: AsyncConnection, name: str, created: int) -> None:
    await conn.execute(groups.insert().values(name=name, created_date=created))


async def delete_group(conn: AsyncConnection, group_id: int) -> None:
    access.changed(conn)
    await conn.execute(delete(groups).where(groups.c.id == group_id))


def _member(group_id: int, user_id):
    return exists(select(1).where(group_members.c.group_id == group_id, group_members.c.user_id == user_id))


async def list_groups(conn: AsyncConnection, filter_text: str | None, start: int, limit: int, *,
                      user_id: int | None = None, member: bool = True):
    """Groups by name; with `user_id`, only those the user is (or, member=False, is not) a member of."""
    stmt = (select(groups.c.id, groups.c.name).where(name_filter([groups.c.name], filter_text))
            .order_by(func.lower(groups.c.name)).offset(start).limit(limit))
    if user_id is not None:
        in_group = exists(select(1).where(group_members.c.group_id == groups.c.id,
                                          group_members.c.user_id == user_id))
        stmt = stmt.where(in_group if member else ~in_group)
    return (await conn.execute(stmt)).all()


async def list_members(conn: AsyncConnection, group_id: int, filter_text: str | None, start: int, limit: int,
                       member: bool = True):
    """Users by name who are (or, member=False, are not) members of the group."""
    in_group = _member(group_id, users.c.id)
    stmt = (select(*USER_COLUMNS)
            .where(PEOPLE, in_group if member else ~in_group,
                   name_filter([users.c.name, users.c.display_name, users.c.email], filter_text))
            .order_by(users.c.name).offset(start).limit(limit))
    return (await conn.execute(stmt)).all()


async def add_member(conn: AsyncConnection, group_id: int, user_id: int) -> None:
    access.changed(conn)
    if not (await conn.execute(select(_member(group_id, user_id)))).scalar():
        await conn.execute(group_members.insert().values(group_id=group_id, user_id=user_id))


async def remove_member(conn: AsyncConnection, group_id: int, user_id: int) -> None:
    access.changed(conn)
    await conn.execute(delete(group_members).where(group_members.c.group_id == group_id,
                                                   group_members.c.user_id == user_id))


async def set_global_group_permission(conn: AsyncConnection, group_id: int, level: int | None) -> None:
    access.changed(conn)
    await conn.execute(delete(global_group_permissions).where(global_group_permissions.c.group_id == group_id))
    if level:
        await conn.execute(global_group_permissions.insert().values(group_id=group_id, permission=level))


async def list_global_group_permissions(conn: AsyncConnection, filter_text: str | None, start: int, limit: int,
                                        granted: bool = True):
    """Groups with (or, granted=False, without) a global permission, by name, with it."""
    stmt = (select(groups.c.id, groups.c.name, global_group_permissions.c.permission)
            .select_from(groups.outerjoin(global_group_permissions,
                                          global_group_permissions.c.group_id == groups.c.id))
            .where(global_group_permissions.c.permission.isnot(None) if granted
                   else global_group_permissions.c.permission.is_(None),
                   name_filter([groups.c.name], filter_text))
            .order_by(func.lower(groups.c.name)).offset(start).limit(limit))
    return (await conn.execute(stmt)).all()


async def insert_token(conn: AsyncConnection, **values) -> None:
    await conn.execute(access_tokens.insert().values(**values))


async def record_token_uses(conn: AsyncConnection, uses: dict[str, int]) -> None:
    """Each token's last authentication, never moved back (another process may have written a later one)."""
    if not uses:
        return
    at = access_tokens.c.last_authenticated
    stmt = (update(access_tokens)
            .where(access_tokens.c.id == bindparam("token_id"), or_(at.is_(None), at < bindparam("at")))
            .values(last_authenticated=bindparam("at")))
    await conn.execute(stmt, [{"token_id": token_id, "at": when} for token_id, when in uses.items()])


def _owned_by(owner: dict):
    """SQL: the tokens of an owner: {"user_id": id} (personal), {"project_id": id} or {"repository_id": id}."""
    (column, value), = owner.items()
    condition = access_tokens.c[column] == value
    if column == "user_id":
        condition &= access_tokens.c.project_id.is_(None) & access_tokens.c.repository_id.is_(None)
    return condition


async def list_tokens(conn: AsyncConnection, owner: dict, start: int, limit: int):
    stmt = (select(access_tokens).where(_owned_by(owner))
            .order_by(access_tokens.c.created_date.desc(), access_tokens.c.id).offset(start).limit(limit))
    return (await conn.execute(stmt)).all()


async def get_token(conn: AsyncConnection, owner: dict, token_id: str):
    stmt = select(access_tokens).where(_owned_by(owner), access_tokens.c.id == token_id)
    return (await conn.execute(stmt)).first()


async def users_by_id(conn: AsyncConnection, ids: list[int]) -> dict:
    return {row.id: row for row in await conn.execute(select(*USER_COLUMNS).where(users.c.id.in_(ids)))}


async def update_token(conn: AsyncConnection, token_id: str, **values) -> None:
    access.changed(conn)
    await conn.execute(update(access_tokens).where(access_tokens.c.id == token_id).values(**values))


async def delete_token(conn: AsyncConnection, token_id: str, service_user_id: int | None = None) -> None:
    """Delete a token; a project or repository token goes with its service user (and so its grant)."""
    access.changed(conn)
    await conn.execute(delete(access_tokens).where(access_tokens.c.id == token_id))
    if service_user_id is not None:
        await conn.execute(delete(users).where(users.c.id == service_user_id, users.c.service))


async def delete_service_users_of(conn: AsyncConnection, project_id: int | None = None,
                                  repository_id: int | None = None) -> None:
    """The service users of the tokens of a project (and its repositories) or a repository about to go."""
    scoped = select(access_tokens.c.user_id)
    if project_id is not None:
        scoped = scoped.where(or_(access_tokens.c.project_id == project_id, access_tokens.c.repository_id.in_(
            select(repositories.c.id).where(repositories.c.project_id == project_id))))
    else:
        scoped = scoped.where(access_tokens.c.repository_id == repository_id)
    await conn.execute(delete(users).where(users.c.service, users.c.id.in_(scoped)))


def _grant(scope: str, owner, user_id):
    """SQL: the user's highest grant on `owner` in `scope`, their own or a group's (NULL: none)."""
    held = held_grants(scope, user_id)
    return select(func.max(held.c.permission)).where(held.c.owner_id == owner).scalar_subquery()


def project_ref(row) -> ProjectRef:
    return ProjectRef(id=row.project_id, key=row.project_key, name=row.project_name,
                      description=row.project_description, public=row.project_public)


_PROJECT_COLUMNS = [projects.c.id.label("project_id"), projects.c.key.label("project_key"),
                    projects.c.name.label("project_name"), projects.c.description.label("project_description"),
                    projects.c.public.label("project_public")]


def _sees_a_repository(uid):
    """SQL: the caller holds a grant on, or the public may read, some repository of the outer `projects` row.

    The subqueries use their own alias of `repositories`, so they never correlate with a `repositories`
    the outer query joins itself.
    """
    repo = repositories.alias("visible_repository")
    held = held_grants("repository", uid)
    granted = exists(select(1).select_from(repo.join(held, held.c.owner_id == repo.c.id))
                     .where(repo.c.project_id == projects.c.id))
    public = exists(select(1).select_from(repo).where(repo.c.project_id == projects.c.id, repo.c.public))
    return or_(granted, public)


def _repository_access_statement():
    uid = bindparam("uid", type_=Integer)
    return (select(*_PROJECT_COLUMNS, repositories,
                   _grant("project", projects.c.id, uid)
                   .label("project_grant"),
                   _grant("repository", repositories.c.id, uid)
                   .label("repository_grant"))
            .select_from(projects.outerjoin(repositories, and_(repositories.c.project_id == projects.c.id,
                                                               repositories.c.slug == bindparam("slug"))))
            .where(projects.c.key == bindparam("key")))


# Built once: it runs on every repository request, and building it each time cost ~1 ms.
_REPOSITORY_ACCESS = _repository_access_statement()


async def repository_access(conn: AsyncConnection, user_id: int | None, project_key: str, slug: str):
    """One query: the project, the repository (None when absent) and the caller's grants on both."""
    row = (await conn.execute(_REPOSITORY_ACCESS,
                              {"uid": user_id, "slug": slug.lower(), "key": project_key.upper()})).first()
    if row is None:
        return None, None, row
    project = project_ref(row)
    if row.id is None:
        return project, None, row
    return project, repository_ref(row, project), row


async def sees_a_repository(conn: AsyncConnection, user_id: int | None, project_id: int) -> bool:
    """Whether the caller holds a grant on, or the public may read, some repository of the project.

    Asked only when the caller cannot read the repository they named, so the hot path stays one query.
    """
    uid = literal(user_id)
    stmt = select(_sees_a_repository(uid)).select_from(projects).where(projects.c.id == project_id)
    return bool((await conn.execute(stmt)).scalar())


async def project_access(conn: AsyncConnection, user_id: int | None, project_key: str):
    """The project and the caller's grant on it, and whether they hold any grant on one of its repositories."""
    uid = literal(user_id)
    stmt = select(*_PROJECT_COLUMNS,
                  _grant("project", projects.c.id, uid)
                  .label("project_grant"),
                  _sees_a_repository(uid).label("sees_a_repository")).where(
        projects.c.key == project_key.upper())
    row = (await conn.execute(stmt)).first()
    return (None, row) if row is None else (project_ref(row), row)


def repository_ref(row, project: ProjectRef) -> RepositoryRef:
    return RepositoryRef(id=row.id, slug=row.slug, name=row.name, description=row.description,
                         public=row.public, forkable=row.forkable, default_branch=row.default_branch,
                         hierarchy_id=row.hierarchy_id, project=project)


def readable_repository(principal: Principal, repository_id_column, viewer=None) -> Any:
    """SQL condition: the caller may read the repository in `repository_id_column` (for listings).

    `viewer` replaces the caller's id by an expression (a bind parameter in statements built once).
    """
    viewer = principal.user_id if viewer is None else viewer
    if principal.owner_global_level >= 3:
        return true()
    public = select(repositories.c.id).join(projects, projects.c.id == repositories.c.project_id).where(
        or_(repositories.c.public, projects.c.public))
    condition = repository_id_column.in_(public)
    if principal.anonymous:
        return condition
    granted = select(held_grants("repository", viewer).c.owner_id)
    via_project = select(repositories.c.id).where(
        repositories.c.project_id.in_(select(held_grants("project", viewer).c.owner_id)))
    return or_(condition, repository_id_column.in_(granted), repository_id_column.in_(via_project))


def holds_grant(scope: str, owner_id, user_id) -> Any:
    """SQL condition: the user holds a grant on the project or repository `owner_id` (an expression), their own
    or through a group: an index lookup each."""
    user_grants, group_grants, owner = _GRANTS[scope]
    return or_(exists().where(user_grants.c[owner] == owner_id, user_grants.c.user_id == user_id),
               exists().where(group_grants.c[owner] == owner_id, group_members.c.group_id == group_grants.c.group_id,
                              group_members.c.user_id == user_id))


def may_read_repository(principal: Principal, repository_id_column, viewer=None) -> Any:
    """readable_repository for a handful of rows (one commit's statuses): per row, its repository looked up by key
    and the caller's grants on it by index. readable_repository's lists of public and granted repositories cost
    a scan of every repository per statement (a stats GET by a REPO_READ user took 378 us with 3000 repositories
    in SQLite, against 19 us this way)."""
    viewer = principal.user_id if viewer is None else viewer
    if principal.owner_global_level >= 3:
        return true()
    repo, project = repositories.alias("readable_repository"), projects.alias("readable_project")
    allowed = [repo.c.public, project.c.public]
    if not principal.anonymous:
        allowed += [holds_grant("repository", repo.c.id, viewer), holds_grant("project", repo.c.project_id, viewer)]
    return exists(select(1).select_from(repo.join(project, project.c.id == repo.c.project_id))
                  .where(repo.c.id == repository_id_column, or_(*allowed)))


def visible_project(principal: Principal) -> Any:
    """SQL condition on `projects`: the caller may see the project (PROJECT_VIEW)."""
    if principal.owner_global_level >= 3:
        return true()
    public = or_(projects.c.public, exists(select(1).where(repositories.c.project_id == projects.c.id,
                                                           repositories.c.public)))
    if principal.anonymous:
        return public
    granted = projects.c.id.in_(select(held_grants("project", principal.user_id).c.owner_id))
    held = held_grants("repository", principal.user_id)
    via_repo = exists(select(1).select_from(repositories.join(held, held.c.owner_id == repositories.c.id))
                      .where(repositories.c.project_id == projects.c.id))
    return or_(public, granted, via_repo)


def project_at_least(principal: Principal, level: int) -> Any:
    """SQL condition on `projects`: the caller's project level is at least `level` (READ, WRITE or ADMIN).

    The same rules as permissions.project_level: grants, administration, the token cap, public read.
    """
    conditions = [projects.c.public] if level <= perms.READ else []
    capped_out = principal.token_project_cap is not None and principal.token_project_cap < level
    if not principal.anonymous and not capped_out:
        if principal.owner_global_level >= perms.GLOBAL_ADMIN:
            return true()
        held = held_grants("project", principal.user_id)
        conditions.append(projects.c.id.in_(select(held.c.owner_id).where(held.c.permission >= level)))
    return or_(*conditions) if conditions else false()


async def insert_session(conn: AsyncConnection, **values) -> None:
    await conn.execute(web_sessions.insert().values(**values))


async def session_user(conn: AsyncConnection, secret_hash: str, now: int):
    """The user of an unexpired session, or None."""
    stmt = (select(*USER_COLUMNS).join(web_sessions, web_sessions.c.user_id == users.c.id)
            .where(web_sessions.c.secret_hash == secret_hash, web_sessions.c.expires_date > now))
    return (await conn.execute(stmt)).first()


async def delete_session(conn: AsyncConnection, secret_hash: str) -> None:
    await conn.execute(delete(web_sessions).where(web_sessions.c.secret_hash == secret_hash))


async def delete_expired_sessions(conn: AsyncConnection, user_id: int, now: int) -> None:
    await conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user_id,
                                                  web_sessions.c.expires_date <= now))


async def insert_audit_event(conn: AsyncConnection, **values) -> None:
    await conn.execute(audit_events.insert().values(**values))


async def list_audit_events(conn: AsyncConnection, user: str | None, project_key: str | None,
                            repository_slug: str | None, since: int | None, until: int | None, limit: int):
    """The newest `limit` events matching every filter given, newest first."""
    e = audit_events
    stmt = select(e).order_by(e.c.created_date.desc(), e.c.id.desc()).limit(limit)
    if user is not None:
        stmt = stmt.where(e.c.actor_name == user)
    if project_key is not None:
        stmt = stmt.where(e.c.project_key == project_key.upper())
    if repository_slug is not None:
        stmt = stmt.where(e.c.repository_slug == repository_slug.lower())
    if since is not None:
        stmt = stmt.where(e.c.created_date >= since)
    if until is not None:
        stmt = stmt.where(e.c.created_date < until)
    return (await conn.execute(stmt)).all()

