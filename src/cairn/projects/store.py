"""SQL for projects, repositories and the permission grants on them."""

from __future__ import annotations

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.auth import access
from cairn.auth import store as auth_store
from cairn.auth.principal import Principal
from cairn.db.dialect import upsert
from cairn.kit.entities import ProjectRef
from cairn.models import (
    groups,
    project_group_permissions,
    project_permissions,
    projects,
    repositories,
    repository_group_permissions,
    repository_permissions,
    users,
)


async def project_taken(conn: AsyncConnection, key: str, name: str, except_id: int | None = None):
    """Which of key / name another project already uses (case-insensitively), or None."""
    stmt = select(projects.c.key, projects.c.name).where(
        (func.upper(projects.c.key) == key.upper()) | (func.lower(projects.c.name) == name.lower()))
    if except_id is not None:
        stmt = stmt.where(projects.c.id != except_id)
    row = (await conn.execute(stmt)).first()
    if row is None:
        return None
    return "key" if row.key.upper() == key.upper() else "name"


async def insert_project(conn: AsyncConnection, **values) -> int:
    return (await conn.execute(projects.insert().values(**values).returning(projects.c.id))).scalar_one()


async def update_project(conn: AsyncConnection, project_id: int, **values) -> None:
    access.changed(conn)
    await conn.execute(update(projects).where(projects.c.id == project_id).values(**values))


async def get_project(conn: AsyncConnection, project_id: int) -> ProjectRef:
    row = (await conn.execute(select(projects).where(projects.c.id == project_id))).one()
    return ProjectRef(id=row.id, key=row.key, name=row.name, description=row.description, public=row.public)


async def list_projects(conn: AsyncConnection, principal: Principal, name: str | None, level: int | None,
                        start: int, limit: int):
    """Projects the caller sees (PROJECT_VIEW), or on which they hold at least `level`."""
    if level is None:
        visible = auth_store.visible_project(principal)
    else:
        visible = auth_store.project_at_least(principal, level)
    stmt = select(projects).where(visible).order_by(projects.c.key).offset(start).limit(limit)
    if name:
        stmt = stmt.where(func.lower(projects.c.name).like(auth_store.contains_pattern(name), escape="\\"))
    rows = (await conn.execute(stmt)).all()
    return [ProjectRef(id=r.id, key=r.key, name=r.name, description=r.description, public=r.public)
            for r in rows]


async def count_repositories(conn: AsyncConnection, project_id: int) -> int:
    stmt = select(func.count()).select_from(repositories).where(repositories.c.project_id == project_id)
    return (await conn.execute(stmt)).scalar_one()


async def delete_project(conn: AsyncConnection, project_id: int) -> None:
    access.changed(conn)
    await conn.execute(delete(projects).where(projects.c.id == project_id))


async def repository_slug_taken(conn: AsyncConnection, project_id: int, slug: str,
                                except_id: int | None = None) -> bool:
    stmt = select(repositories.c.id).where(repositories.c.project_id == project_id, repositories.c.slug == slug)
    if except_id is not None:
        stmt = stmt.where(repositories.c.id != except_id)
    return (await conn.execute(stmt)).first() is not None


async def insert_repository(conn: AsyncConnection, **values) -> int:
    result = await conn.execute(repositories.insert().values(**values).returning(repositories.c.id))
    return result.scalar_one()


async def update_repository(conn: AsyncConnection, repository_id: int, **values) -> None:
    access.changed(conn)
    await conn.execute(update(repositories).where(repositories.c.id == repository_id).values(**values))


async def get_repository(conn: AsyncConnection, repository_id: int, project: ProjectRef):
    row = (await conn.execute(select(repositories).where(repositories.c.id == repository_id))).one()
    return auth_store.repository_ref(row, project)


async def list_repositories(conn: AsyncConnection, principal: Principal, project: ProjectRef, start: int,
                            limit: int):
    stmt = (select(repositories).where(repositories.c.project_id == project.id,
                                       auth_store.readable_repository(principal, repositories.c.id))
            .order_by(repositories.c.slug).offset(start).limit(limit))
    return [auth_store.repository_ref(r, project) for r in (await conn.execute(stmt)).all()]


async def delete_repository(conn: AsyncConnection, repository_id: int) -> None:
    access.changed(conn)
    # Everything stored for the repository goes with it (ON DELETE CASCADE on every child table).
    await conn.execute(delete(repositories).where(repositories.c.id == repository_id))


def _grants_table(scope: str, to_groups: bool = False):
    """The grants table of `scope` ("project" or "repository") for users or groups, and its owner column."""
    if scope == "project":
        table = project_group_permissions if to_groups else project_permissions
        return table, table.c.project_id
    table = repository_group_permissions if to_groups else repository_permissions
    return table, table.c.repository_id


async def set_grant(conn: AsyncConnection, scope: str, owner_id: int, user_id: int, level: int) -> None:
    access.changed(conn)
    table, owner = _grants_table(scope)
    await upsert(conn, table, {owner.name: owner_id, "user_id": user_id, "permission": level},
                 [owner.name, "user_id"], ["permission"])


async def revoke_grant(conn: AsyncConnection, scope: str, owner_id: int, user_id: int) -> None:
    access.changed(conn)
    table, owner = _grants_table(scope)
    await conn.execute(delete(table).where(owner == owner_id, table.c.user_id == user_id))


async def list_grants(conn: AsyncConnection, scope: str, owner_id: int, start: int, limit: int):
    table, owner = _grants_table(scope)
    stmt = (select(users, table.c.permission).join(table, table.c.user_id == users.c.id)
            .where(owner == owner_id, auth_store.PEOPLE).order_by(users.c.name).offset(start).limit(limit))
    return (await conn.execute(stmt)).all()


async def set_group_grant(conn: AsyncConnection, scope: str, owner_id: int, group_id: int, level: int) -> None:
    access.changed(conn)
    table, owner = _grants_table(scope, to_groups=True)
    await upsert(conn, table, {owner.name: owner_id, "group_id": group_id, "permission": level},
                 [owner.name, "group_id"], ["permission"])


async def revoke_group_grant(conn: AsyncConnection, scope: str, owner_id: int, group_id: int) -> None:
    access.changed(conn)
    table, owner = _grants_table(scope, to_groups=True)
    await conn.execute(delete(table).where(owner == owner_id, table.c.group_id == group_id))


async def list_group_grants(conn: AsyncConnection, scope: str, owner_id: int, filter_text: str | None,
                            start: int, limit: int, granted: bool = True):
    """Groups with (or, granted=False, without) a grant here, by name, with it."""
    table, owner = _grants_table(scope, to_groups=True)
    stmt = (select(groups.c.name, table.c.permission)
            .select_from(groups.outerjoin(table, (table.c.group_id == groups.c.id) & (owner == owner_id)))
            .where(table.c.permission.isnot(None) if granted else table.c.permission.is_(None))
            .order_by(func.lower(groups.c.name)).offset(start).limit(limit))
    if filter_text:
        stmt = stmt.where(func.lower(groups.c.name).like(auth_store.contains_pattern(filter_text), escape="\\"))
    return (await conn.execute(stmt)).all()


async def search_repositories(conn: AsyncConnection, principal: Principal, text: str | None, start: int,
                              limit: int):
    """Repositories the caller may read in every project, by project key then name; `text` matches the
    repository's name or slug or the project's key or name, anywhere, ignoring case."""
    stmt = (select(repositories, projects.c.key.label("project_key"),
                   projects.c.name.label("project_name"), projects.c.description.label("project_description"),
                   projects.c.public.label("project_public"))
            .join(projects, projects.c.id == repositories.c.project_id)
            .where(auth_store.readable_repository(principal, repositories.c.id))
            .order_by(projects.c.key, repositories.c.slug).offset(start).limit(limit))
    if text:
        like = auth_store.contains_pattern(text)
        stmt = stmt.where(or_(*(func.lower(column).like(like, escape="\\")
                                for column in (repositories.c.name, repositories.c.slug, projects.c.key,
                                               projects.c.name))))
    return [auth_store.repository_ref(r, auth_store.project_ref(r)) for r in (await conn.execute(stmt)).all()]


async def repository_ids(conn: AsyncConnection) -> list[int]:
    return list((await conn.execute(select(repositories.c.id).order_by(repositories.c.id))).scalars())
