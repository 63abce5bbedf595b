"""SQL for deployments and the environments they went to."""

from __future__ import annotations

from sqlalchemy import and_, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.db.dialect import insert_if_absent, upsert
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


async def put_deployment(conn: AsyncConnection, values: dict) -> None:
    """Create the deployment or update the one with the same identity; remember its environment."""
    await upsert(conn, d, values, _IDENTITY, _REPLACED)
    await insert_if_absent(conn, env, {"repository_id": values["repository_id"], "key": values["environment_key"]},
                           ("repository_id", "key"))


# Built once: building the identity clause per request cost a tenth of a deployment POST.
_IDENTITY_CLAUSE = and_(*(d.c[c] == bindparam(c) for c in _IDENTITY))
_GET = _DEPLOYMENT.where(_IDENTITY_CLAUSE)
_DELETE = delete(d).where(_IDENTITY_CLAUSE)


def _identity(repository_id: int, commit_id: str, key: str, environment_key: str, sequence_number: int) -> dict:
    return {"repository_id": repository_id, "commit_id": commit_id, "key": key, "environment_key": environment_key,
            "sequence_number": sequence_number}


async def get_deployment(conn: AsyncConnection, repository_id: int, commit_id: str, key: str,
                         environment_key: str, sequence_number: int):
    params = _identity(repository_id, commit_id, key, environment_key, sequence_number)
    return (await conn.execute(_GET, params)).first()


async def delete_deployment(conn: AsyncConnection, repository_id: int, commit_id: str, key: str,
                            environment_key: str, sequence_number: int) -> None:
    await conn.execute(_DELETE, _identity(repository_id, commit_id, key, environment_key, sequence_number))


async def list_deployments(conn: AsyncConnection, repository_id: int, filters: dict, start: int, limit: int):
    """The repository's deployments, newest first; `filters` maps column names to the value they must have."""
    stmt = _DEPLOYMENT.where(d.c.repository_id == repository_id)
    for column, value in filters.items():
        stmt = stmt.where(d.c[column] == value)
    return (await conn.execute(stmt.order_by(*_NEWEST).offset(start).limit(limit))).all()


def _latest(column, state: str | None = None):
    """`column` of an environment's newest deployment (in `state`): one index lookup per environment."""
    stmt = select(column).where(d.c.repository_id == env.c.repository_id, d.c.environment_key == env.c.key)
    if state is not None:
        stmt = stmt.where(d.c.state == state)
    return stmt.order_by(*_NEWEST).limit(1).scalar_subquery()


async def list_environments(conn: AsyncConnection, repository_id: int, start: int, limit: int):
    """A page of the environments that still have deployments, the most recently deployed first, each with the
    ids of its newest and newest successful deployment.

    Only index lookups per environment, never a join over the history: PostgreSQL hash-joined all deployments
    for the ordering when it was a join (12.7 ms at 10,000 rows).
    """
    environments = (select(_latest(d.c.id).label("latest_id"), _latest(d.c.last_updated).label("latest_updated"),
                           _latest(d.c.id, "SUCCESSFUL").label("successful_id"))
                    .where(env.c.repository_id == repository_id).subquery())
    stmt = (select(environments.c.latest_id, environments.c.successful_id)
            .where(environments.c.latest_id.isnot(None))
            .order_by(environments.c.latest_updated.desc(), environments.c.latest_id.desc())
            .offset(start).limit(limit))
    return (await conn.execute(stmt)).all()


async def deployments_by_id(conn: AsyncConnection, ids: list[int]) -> dict[int, object]:
    rows = (await conn.execute(_DEPLOYMENT.where(d.c.id.in_(ids)))).all()
    return {row.id: row for row in rows}
