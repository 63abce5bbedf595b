"""SQL for build statuses."""

from __future__ import annotations

import functools
from typing import Iterable

from sqlalchemy import (Integer, String, Text, and_, bindparam, case, cast, delete, func, literal, or_, select, text,
                        true)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.auth import store as auth_store
from cairn.auth.principal import ANONYMOUS, Principal
from cairn.builds.states import STATUS_ORDER
from cairn.db.dialect import upsert, upsert_sql
from cairn.db.direct import gathered
from cairn.events import store as events
from cairn.models import build_statuses as bs
from cairn.models import projects, repositories

STATUS_COLUMNS = ("repository_id", "commit_id", "key", "state", "url", "name", "description", "build_number",
                  "parent", "ref", "duration", "tests_successful", "tests_failed", "tests_skipped", "created_date",
                  "updated_date")
# Everything a re-post replaces; created_date is kept from the first post.
_REPLACED = ("state", "url", "name", "description", "build_number", "parent", "ref", "duration",
             "tests_successful", "tests_failed", "tests_skipped", "updated_date")
LEGACY_LISTING_CAP = 100  # the legacy GET only ever shows the newest 100 statuses of a commit

_COLUMNS = [bs, projects.c.key.label("project_key"), repositories.c.slug.label("repository_slug")]
_FROM = bs.outerjoin(repositories, repositories.c.id == bs.c.repository_id).outerjoin(
    projects, projects.c.id == repositories.c.project_id)


# The conflict targets are the two partial unique indexes of models/build_statuses.py.
_IN_REPOSITORY = (("repository_id", "commit_id", "key"), _REPLACED, "repository_id IS NOT NULL")
_SET_SQLITE = text(upsert_sql(bs.name, STATUS_COLUMNS, *_IN_REPOSITORY) + " RETURNING created_date")


def _set_in_one_statement():
    """PostgreSQL: the upsert and its event in one statement (cairn.lane pipelines it: one round trip, and one
    commit for a batch of them). The event's createdDate is the stored one: a re-post keeps the first's."""
    upsert_ = postgresql.insert(bs).values({c: bindparam(c) for c in STATUS_COLUMNS})
    status = (upsert_.on_conflict_do_update(index_elements=list(_IN_REPOSITORY[0]),
                                            index_where=text(_IN_REPOSITORY[2]),
                                            set_={c: upsert_.excluded[c] for c in _REPLACED})
              .returning(bs.c.created_date).cte("status"))
    payload = (bindparam("payload_head", type_=Text) + cast(status.c.created_date, Text)
               + bindparam("payload_tail", type_=Text))
    event = events.recording(status, payload)
    return select(event.c.id)


_SET_IN_ONE_STATEMENT = _set_in_one_statement()
_STAND_IN = -1  # the createdDate the event is rendered with, for the statement to replace with the stored one


async def upsert_status(conn: AsyncConnection, values: dict, event_for=None) -> None:
    """Create or replace the status for (repository, commit, key) and record its event, `event_for(the stored
    createdDate)` (build:status_set); or the status for (commit, key) when repository is None (a legacy status
    fires no event). `values`: STATUS_COLUMNS."""
    if values["repository_id"] is None:
        await upsert(conn, bs, values, ("commit_id", "key"), _REPLACED, "repository_id IS NULL")
    elif conn.dialect.name == "postgresql":
        event = events.spliced(event_for(_STAND_IN), "createdDate", _STAND_IN)
        await conn.execute(_SET_IN_ONE_STATEMENT, {**values, **event})
    else:
        created = (await conn.execute(_SET_SQLITE, values)).first()[0]
        await events.record(conn, event_for(created))


async def get_status(conn: AsyncConnection, repository_id: int, commit_id: str, key: str):
    stmt = select(*_COLUMNS).select_from(_FROM).where(
        bs.c.repository_id == repository_id, bs.c.commit_id == commit_id, bs.c.key == key)
    return (await conn.execute(stmt)).first()


async def list_repository_statuses(conn: AsyncConnection, repository_id: int, commit_id: str, start: int,
                                   limit: int):
    stmt = (select(*_COLUMNS).select_from(_FROM)
            .where(bs.c.repository_id == repository_id, bs.c.commit_id == commit_id)
            .order_by(bs.c.updated_date.desc(), bs.c.id.desc()).offset(start).limit(limit))
    return (await conn.execute(stmt)).all()


async def repository_states(conn: AsyncConnection, repository_id: int, commit_id: str):
    """(key, parent, state) of every repository-scoped status of the commit (what merge checks read)."""
    stmt = select(bs.c.key, bs.c.parent, bs.c.state).where(bs.c.repository_id == repository_id,
                                                           bs.c.commit_id == commit_id)
    return (await conn.execute(stmt)).all()


async def delete_status(conn: AsyncConnection, repository_id: int, commit_id: str, key: str):
    """Delete the status; the row it was, or None."""
    stmt = delete(bs).where(bs.c.repository_id == repository_id, bs.c.commit_id == commit_id, bs.c.key == key)
    return (await conn.execute(stmt.returning(*bs.c))).first()


def _visible(principal: Principal, viewer=None):
    """Legacy statuses, and repository statuses of repositories the caller can read (decision D6)."""
    return or_(bs.c.repository_id.is_(None),
               auth_store.may_read_repository(principal, bs.c.repository_id, viewer))


@functools.lru_cache(maxsize=None)
def _count_one_commit(principal_kind: Principal):
    """The stats query for one commit, built once per kind of caller (it runs on every stats request). The
    caller's access is checked once per repository the commit has statuses in (mostly one), not once per status:
    PostgreSQL, 4 statuses per commit, REPO_READ caller, one connection: 176-209 -> 127-185 us per statement."""
    commit = bs.c.commit_id == bindparam("commit_id")
    if principal_kind.owner_global_level >= 3:
        return select(bs.c.state, func.count().label("n")).where(commit).group_by(bs.c.state)
    theirs = select(bs.c.repository_id).where(commit, bs.c.repository_id.is_not(None)).distinct().subquery("theirs")
    readable = select(theirs.c.repository_id).where(auth_store.may_read_repository(
        principal_kind, theirs.c.repository_id, bindparam("viewer", type_=Integer)))
    return (select(bs.c.state, func.count().label("n"))
            .where(commit, or_(bs.c.repository_id.is_(None), bs.c.repository_id.in_(readable)))
            .group_by(bs.c.state))


def _kind(principal: Principal) -> Principal:
    """A stand-in principal that decides the same visibility clause as `principal` (see readable_repository)."""
    if principal.owner_global_level >= 3:
        return _ADMIN_KIND
    return ANONYMOUS if principal.anonymous else _USER_KIND


_ADMIN_KIND = Principal(user_id=0, global_grant=3)
_USER_KIND = Principal(user_id=0)


# The commit's statuses counted per repository and state (legacy ones under None): the baseline's statement
# grouped once more, for callers whose access the lane checks from its cache (cairn.builds.service.stats).
def _count_per_repository(commit_id):
    return (select(bs.c.repository_id, bs.c.state, func.count().label("n"))
            .where(bs.c.commit_id == commit_id).group_by(bs.c.repository_id, bs.c.state))


def _count_per_repository_of_each():
    """_COUNT_PER_REPOSITORY for a list of commits, each counted as alone (LATERAL): with `commit_id = ANY($1)`
    PostgreSQL's cached plan for the prepared statement, made while the table was small, stayed a sequential
    scan as it grew (a soak: 1 -> 8.5 ms per count within a minute)."""
    asked = (func.unnest(bindparam("commit_ids", type_=postgresql.ARRAY(String))).table_valued("commit_id")
             .render_derived(name="asked"))
    counted = _count_per_repository(asked.c.commit_id).lateral("counted")
    return select(asked.c.commit_id, *counted.c).select_from(asked.join(counted, true()))


# On PostgreSQL the lane's concurrent counts run as one statement (db/direct.py, gathered): bench/ stats GET,
# alternating, 0.62-0.63 -> 0.74-0.96 of the baseline's statement per request.
_COUNT_PER_REPOSITORY = gathered(_count_per_repository(bindparam("commit_id")), _count_per_repository_of_each(),
                                 "commit_id")
_MAY_READ = select(literal(1)).where(auth_store.may_read_repository(
    _USER_KIND, bindparam("repository_id", type_=Integer), bindparam("viewer", type_=Integer)))


async def count_per_repository(conn: AsyncConnection, commit_id: str) -> list:
    """(repository id or None, state, count) of every status of the commit, whoever may see it."""
    return (await conn.execute(_COUNT_PER_REPOSITORY, {"commit_id": commit_id})).all()


async def may_read(conn: AsyncConnection, user_id: int, repository_id: int) -> bool:
    """Whether a signed-in user who is not a system administrator may read the repository."""
    return (await conn.execute(_MAY_READ, {"repository_id": repository_id, "viewer": user_id})).first() is not None


async def list_commit_statuses(conn: AsyncConnection, principal: Principal, commit_id: str, order: str,
                               start: int, limit: int):
    newest = (select(bs.c.id).where(bs.c.commit_id == commit_id, _visible(principal))
              .order_by(bs.c.updated_date.desc(), bs.c.id.desc()).limit(LEGACY_LISTING_CAP).subquery())
    if order == "OLDEST":
        ordering = [bs.c.updated_date.asc(), bs.c.id.asc()]
    else:
        ordering = [bs.c.updated_date.desc(), bs.c.id.desc()]
        if order == "STATUS":
            rank = case({state: i for i, state in enumerate(STATUS_ORDER)}, value=bs.c.state, else_=99)
            ordering.insert(0, rank)
    stmt = (select(*_COLUMNS).select_from(_FROM).where(bs.c.id.in_(select(newest.c.id)))
            .order_by(*ordering).offset(start).limit(limit))
    return (await conn.execute(stmt)).all()


async def count_by_state(conn: AsyncConnection, principal: Principal,
                         commit_ids: Iterable[str]) -> dict[str, dict[str, int]]:
    """{commit: {state: count}} over the statuses the caller may see; commits without any are absent."""
    ids = list(commit_ids)
    if not ids:
        return {}
    if len(ids) == 1:
        rows = await conn.execute(_count_one_commit(_kind(principal)),
                                  {"commit_id": ids[0], "viewer": principal.user_id})
        counts = {state: n for state, n in rows.all()}
        return {ids[0]: counts} if counts else {}
    stmt = (select(bs.c.commit_id, bs.c.state, func.count().label("n"))
            .where(bs.c.commit_id.in_(ids), _visible(principal)).group_by(bs.c.commit_id, bs.c.state))
    counts: dict[str, dict[str, int]] = {}
    for row in (await conn.execute(stmt)).all():
        counts.setdefault(row.commit_id, {})[row.state] = row.n
    return counts


async def only_status(conn: AsyncConnection, principal: Principal, commit_id: str):
    stmt = (select(*_COLUMNS).select_from(_FROM).where(bs.c.commit_id == commit_id, _visible(principal))
            .limit(2))
    rows = (await conn.execute(stmt)).all()
    return rows[0] if len(rows) == 1 else None


async def count_in_repository(conn: AsyncConnection, repository_id: int,
                              commit_ids: list[str]) -> dict[str, dict[str, int]]:
    """{commit: {state: count}} of the repository's own and the legacy statuses of the commits."""
    stmt = (select(bs.c.commit_id, bs.c.state, func.count().label("n"))
            .where(bs.c.commit_id.in_(commit_ids), or_(bs.c.repository_id == repository_id,
                                                       bs.c.repository_id.is_(None)))
            .group_by(bs.c.commit_id, bs.c.state))
    counts: dict[str, dict[str, int]] = {}
    for row in (await conn.execute(stmt)).all():
        counts.setdefault(row.commit_id, {})[row.state] = row.n
    return counts


async def list_legacy_statuses(conn: AsyncConnection, commit_id: str, limit: int):
    """The commit's legacy (repository-less) statuses, newest first."""
    stmt = (select(*_COLUMNS).select_from(_FROM).where(bs.c.repository_id.is_(None), bs.c.commit_id == commit_id)
            .order_by(bs.c.updated_date.desc(), bs.c.id.desc()).limit(limit))
    return (await conn.execute(stmt)).all()


def _prunable(repository_id: int | None, cutoff: int):
    """Statuses of one repository (None: legacy ones) last updated before `cutoff`; the (repository, updated)
    index finds them, so a batch never scans the history."""
    scope = bs.c.repository_id == repository_id if repository_id is not None else bs.c.repository_id.is_(None)
    return and_(scope, bs.c.updated_date < cutoff)


async def count_prunable(conn: AsyncConnection, repository_id: int | None, cutoff: int) -> int:
    return (await conn.execute(select(func.count()).select_from(bs).where(_prunable(repository_id, cutoff)))).scalar()


async def prune(conn: AsyncConnection, repository_id: int | None, cutoff: int, limit: int) -> int:
    """Delete up to `limit` of them; how many went."""
    batch = select(bs.c.id).where(_prunable(repository_id, cutoff)).limit(limit).scalar_subquery()
    return (await conn.execute(delete(bs).where(bs.c.id.in_(batch)))).rowcount
