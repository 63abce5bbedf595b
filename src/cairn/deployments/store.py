"""SQL for deployments and the environments they went to."""

from __future__ import annotations

from collections import namedtuple

from sqlalchemy import and_, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.db.dialect import upsert
from cairn.models import deployment_environments as env
from cairn.models import deployments as d

# Everything a re-post of the same identity replaces.
_REPLACED = ("display_name", "description", "url", "state", "environment_display_name", "environment_type",
             "environment_url", "last_updated")
_IDENTITY = ("repository_id", "commit_id", "key", "environment_key", "sequence_number")

_previous = d.alias("previous")
# fromCommit (decisions D7, D15): the commit of the same key and environment's next lower sequence number.
_FROM_COMMIT = (select(_previous.c.commit_id)
                .where(_previous.c.repository_id == d.c.repository_id, _previous.c.key == d.c.key,
                       _previous.c.environment_key == d.c.environment_key,
                       _previous.c.sequence_number < d.c.sequence_number)
                .order_by(_previous.c.sequence_number.desc(), _previous.c.id.desc()).limit(1)
                .scalar_subquery().label("from_commit"))
_DEPLOYMENT = select(d, _FROM_COMMIT)
_NEWEST = (d.c.last_updated.desc(), d.c.id.desc())


def _latest(column, state: str | None = None):
    """`column` of an environment's newest deployment (in `state`): one index lookup."""
    stmt = select(column).where(d.c.repository_id == env.c.repository_id, d.c.environment_key == env.c.key)
    if state is not None:
        stmt = stmt.where(d.c.state == state)
    return stmt.order_by(*_NEWEST).limit(1).scalar_subquery()


_ENVIRONMENT = and_(env.c.repository_id == bindparam("environment_repository"), env.c.key == bindparam("environment"))
# Recomputed after every write to the environment's deployments (an update may move or demote the newest).
_REFRESH = (env.update().where(_ENVIRONMENT)
            .values(latest_id=_latest(d.c.id), latest_updated=_latest(d.c.last_updated),
                    successful_id=_latest(d.c.id, "SUCCESSFUL")))


async def lock_environment(conn: AsyncConnection, repository_id: int, environment_key: str) -> None:
    """The environment's row, created if new and locked until commit, so its writers go one at a time and
    each refresh sees the others' deployments (PostgreSQL row lock; a SQLite writer holds the database)."""
    await upsert(conn, env, {"repository_id": repository_id, "key": environment_key}, ("repository_id", "key"),
                 ("key",))


async def refresh_environment(conn: AsyncConnection, repository_id: int, environment_key: str) -> None:
    """Point the environment's row (see lock_environment) at its newest deployments again."""
    await conn.execute(_REFRESH, {"environment_repository": repository_id, "environment": environment_key})


# Built once: building the identity clause per request cost a tenth of a deployment POST. Built once, these
# statements also run in cairn.lane on a direct connection (db/direct.py), whose rows are plain tuples:
# get_deployment names their columns itself.
_IDENTITY_CLAUSE = and_(*(d.c[c] == bindparam(c) for c in _IDENTITY))
_GET = _DEPLOYMENT.where(_IDENTITY_CLAUSE)
DeploymentRow = namedtuple("DeploymentRow", [*d.c.keys(), "from_commit"])
_DELETE = delete(d).where(_IDENTITY_CLAUSE)


def _identity(repository_id: int, commit_id: str, key: str, environment_key: str, sequence_number: int) -> dict:
    return {"repository_id": repository_id, "commit_id": commit_id, "key": key, "environment_key": environment_key,
            "sequence_number": sequence_number}


async def get_deployment(conn: AsyncConnection, repository_id: int, commit_id: str, key: str,
                         environment_key: str, sequence_number: int):
    params = _identity(repository_id, commit_id, key, environment_key, sequence_number)
    row = (await conn.execute(_GET, params)).first()
    return None if row is None else DeploymentRow(*row)


async def put_deployment(conn: AsyncConnection, values: dict) -> DeploymentRow:
    """Create the deployment or update the one with the same identity, refresh its environment, and return it.

    The environment is locked last, so its writers queue for two statements and the COMMIT, not four: p99 of
    the deployment POST on PostgreSQL went from 103-117 to 90 ms at 16 connections (bench/; throughput is
    bound by round trips, not this lock). Writers take the deployment's row before the environment's, and so
    does delete_deployment: no two of them can wait on each other in a circle.
    """
    await upsert(conn, d, values, _IDENTITY, _REPLACED)
    row = await get_deployment(conn, *(values[c] for c in _IDENTITY))
    await lock_environment(conn, values["repository_id"], values["environment_key"])
    await refresh_environment(conn, values["repository_id"], values["environment_key"])
    return row


async def delete_deployment(conn: AsyncConnection, repository_id: int, commit_id: str, key: str,
                            environment_key: str, sequence_number: int) -> None:
    await conn.execute(_DELETE, _identity(repository_id, commit_id, key, environment_key, sequence_number))
    await lock_environment(conn, repository_id, environment_key)  # after the deployment's row, as put_deployment
    await refresh_environment(conn, repository_id, environment_key)


async def list_deployments(conn: AsyncConnection, repository_id: int, filters: dict, start: int, limit: int):
    """The repository's deployments, newest first; `filters` maps column names to the value they must have."""
    stmt = _DEPLOYMENT.where(d.c.repository_id == repository_id)
    for column, value in filters.items():
        stmt = stmt.where(d.c[column] == value)
    return (await conn.execute(stmt.order_by(*_NEWEST).offset(start).limit(limit))).all()


async def list_environments(conn: AsyncConnection, repository_id: int, start: int, limit: int):
    """A page of the environments that still have deployments, the most recently deployed first, each with the
    ids of its newest and newest successful deployment: a page of environment rows, whatever the history."""
    stmt = (select(env.c.latest_id, env.c.successful_id)
            .where(env.c.repository_id == repository_id, env.c.latest_id.isnot(None))
            .order_by(env.c.latest_updated.desc(), env.c.latest_id.desc()).offset(start).limit(limit))
    return (await conn.execute(stmt)).all()


async def deployments_by_id(conn: AsyncConnection, ids: list[int]) -> dict[int, object]:
    rows = (await conn.execute(_DEPLOYMENT.where(d.c.id.in_(ids)))).all()
    return {row.id: row for row in rows}


async def environments_of_commits(conn: AsyncConnection, repository_id: int, commit_ids: list[str]):
    """(commit_id, environment_key, environment_display_name, environment_type, state) of the commits'
    deployments, newest first."""
    stmt = (select(d.c.commit_id, d.c.environment_key, d.c.environment_display_name, d.c.environment_type,
                   d.c.state)
            .where(d.c.repository_id == repository_id, d.c.commit_id.in_(commit_ids)).order_by(*_NEWEST))
    return (await conn.execute(stmt)).all()


def _prunable(repository_id: int, cutoff: int):
    """Deployments last updated before `cutoff`, except each environment's latest and latest successful one."""
    kept = select(env.c.latest_id).where(env.c.repository_id == repository_id, env.c.latest_id.isnot(None)).union(
        select(env.c.successful_id).where(env.c.repository_id == repository_id, env.c.successful_id.isnot(None)))
    return and_(d.c.repository_id == repository_id, d.c.last_updated < cutoff, d.c.id.notin_(kept))


async def count_prunable(conn: AsyncConnection, repository_id: int, cutoff: int) -> int:
    return (await conn.execute(select(func.count()).select_from(d).where(_prunable(repository_id, cutoff)))).scalar()


async def prune(conn: AsyncConnection, repository_id: int, cutoff: int, limit: int) -> int:
    batch = select(d.c.id).where(_prunable(repository_id, cutoff)).limit(limit).scalar_subquery()
    return (await conn.execute(delete(d).where(d.c.id.in_(batch)))).rowcount
