"""SQL for deployments and the environments they went to."""

from __future__ import annotations

from collections import namedtuple

from sqlalchemy import Integer, Text, and_, bindparam, case, cast, delete, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.db.dialect import upsert
from cairn.events import store as events
from cairn.models import deployment_environments as env
from cairn.models import deployments as d

# Everything a re-post of the same identity replaces.
_REPLACED = ("display_name", "description", "url", "state", "environment_display_name", "environment_type",
             "environment_url", "last_updated")
_IDENTITY = ("repository_id", "commit_id", "key", "environment_key", "sequence_number")

_previous = d.alias("previous")


def _from_commit(deployment):
    """fromCommit (decisions D7, D15): the commit of the same key and environment's next lower sequence number."""
    return (select(_previous.c.commit_id)
            .where(_previous.c.repository_id == deployment.c.repository_id, _previous.c.key == deployment.c.key,
                   _previous.c.environment_key == deployment.c.environment_key,
                   _previous.c.sequence_number < deployment.c.sequence_number)
            .order_by(_previous.c.sequence_number.desc(), _previous.c.id.desc()).limit(1)
            .scalar_subquery().label("from_commit"))


_DEPLOYMENT = select(d, _from_commit(d))
_NEWEST = (d.c.last_updated.desc(), d.c.id.desc())


def _latest(column, state: str | None = None):
    """`column` of an environment's newest deployment (in `state`): one index lookup."""
    stmt = select(column).where(d.c.repository_id == env.c.repository_id, d.c.environment_key == env.c.key)
    if state is not None:
        stmt = stmt.where(d.c.state == state)
    return stmt.order_by(*_NEWEST).limit(1).scalar_subquery()


async def add_environment(conn: AsyncConnection, repository_id: int, environment_key: str) -> None:
    """Record the environment unless it is known: an existing row is neither written nor locked."""
    await upsert(conn, env, {"repository_id": repository_id, "key": environment_key}, ("repository_id", "key"), ())


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


def _put_in_one_statement():
    """PostgreSQL: put_deployment's three statements as one (data-modifying CTEs). Run in autocommit, it is one
    round trip instead of five (BEGIN, three statements, COMMIT)."""
    upsert_ = postgresql.insert(d).values({c: bindparam(c) for c in (*_IDENTITY, *_REPLACED)})
    up = (upsert_.on_conflict_do_update(constraint="uq_deployments_identity",
                                        set_={c: upsert_.excluded[c] for c in _REPLACED})
          .returning(*d.c).cte("up"))
    environment = (postgresql.insert(env).values(repository_id=bindparam("repository_id"),
                                                 key=bindparam("environment_key"))
                   .on_conflict_do_nothing(index_elements=["repository_id", "key"]).cte("environment"))
    found = select(up, _from_commit(up)).add_cte(environment).cte("found")
    # The event's fromCommit is the one found (deployments.schemas._commit's shape).
    commit = func.jsonb_build_object("id", found.c.from_commit, "displayId", func.left(found.c.from_commit, 7))
    payload = cast(bindparam("payload"), JSONB)
    payload = case((found.c.from_commit.is_(None), payload),
                   else_=func.jsonb_set(payload, events.json_path("deployment", "fromCommit"), commit))
    event = events.recording(found, cast(payload, Text))
    return select(found).add_cte(event)


_PUT_IN_ONE_STATEMENT = _put_in_one_statement()


async def put_deployment(conn: AsyncConnection, values: dict, event_for) -> DeploymentRow:
    """Create the deployment or update the one with the same identity, record its environment and its event
    (`event_for(the stored row)`, deployment:set), and return it. Nothing else is written: concurrent deployments
    to one environment never wait for each other. On PostgreSQL one statement (see _put_in_one_statement), whose
    event is rendered before the fromCommit is known, which the statement then adds."""
    if conn.dialect.name == "postgresql":
        event = event_for(DeploymentRow(**values, id=None, from_commit=None))
        return DeploymentRow(*(await conn.execute(_PUT_IN_ONE_STATEMENT, {**values, **event})).first())
    await upsert(conn, d, values, _IDENTITY, _REPLACED)
    row = await get_deployment(conn, *(values[c] for c in _IDENTITY))
    await add_environment(conn, values["repository_id"], values["environment_key"])
    await events.record(conn, event_for(row))
    return row


async def delete_deployment(conn: AsyncConnection, repository_id: int, commit_id: str, key: str,
                            environment_key: str, sequence_number: int):
    """The deleted deployment (with its from_commit), or None. (An environment left without deployments stays
    recorded; the listing leaves it out.)"""
    row = await get_deployment(conn, repository_id, commit_id, key, environment_key, sequence_number)
    if row is not None:
        await conn.execute(_DELETE, _identity(repository_id, commit_id, key, environment_key, sequence_number))
    return row


async def list_deployments(conn: AsyncConnection, repository_id: int, filters: dict, start: int, limit: int):
    """The repository's deployments, newest first; `filters` maps column names to the value they must have."""
    stmt = _DEPLOYMENT.where(d.c.repository_id == repository_id)
    for column, value in filters.items():
        stmt = stmt.where(d.c[column] == value)
    return (await conn.execute(stmt.order_by(*_NEWEST).offset(start).limit(limit))).all()


def _every_environment():
    """(repository_id, key, latest_id) of each of the repository's environments that has deployments, ordered by
    its newest deployment: per environment an index-only lookup, and that deployment's time by id."""
    # Reading the time off the index too, a second descent comparing text, cost PostgreSQL 2.24-2.37 ms a listing
    # against 1.81-1.99 at 100k after writes. A join to the deployment instead let PostgreSQL hash every
    # deployment of the repository (6.8 ms at 10k deployments).
    known = (select(env.c.repository_id, env.c.key, _latest(d.c.id).label("latest_id"))
             .where(env.c.repository_id == bindparam("repository_id"))
             .cte("known").prefix_with("MATERIALIZED"))  # each lookup once: PostgreSQL repeated them per clause
    updated = select(d.c.last_updated).where(d.c.id == known.c.latest_id).scalar_subquery()
    return select(known).where(known.c.latest_id.is_not(None)), (updated.desc(), known.c.latest_id.desc()), ()


def _recently_deployed():
    """The same, for the environments among the repository's `scan` newest deployments (each one's first there is
    its newest), with how many environments that found, how many deployments it read, and how many environments
    the repository records: _recent_page_is_exact tells from those whether the page is the same."""
    recent = (select(d.c.repository_id, d.c.id, d.c.environment_key, d.c.last_updated)
              .where(d.c.repository_id == bindparam("repository_id")).order_by(*_NEWEST)
              .limit(bindparam("scan", type_=Integer)).subquery())
    ranked = select(recent, func.row_number().over(partition_by=recent.c.environment_key, order_by=(
        recent.c.last_updated.desc(), recent.c.id.desc())).label("nth"), func.count().over().label("read")).subquery()
    recorded = select(func.count()).where(env.c.repository_id == bindparam("repository_id")).scalar_subquery()
    firsts = select(ranked.c.repository_id, ranked.c.environment_key.label("key"), ranked.c.id.label("latest_id"),
                    func.count().over().label("found"), ranked.c.read, recorded.label("recorded")
                    ).where(ranked.c.nth == 1)
    return firsts, (ranked.c.last_updated.desc(), ranked.c.id.desc()), ("found", "read", "recorded")


def _environments_page(environments):
    """A page of the repository's environments that have deployments, the most recently deployed first: each
    one's newest and newest successful deployment, looked up in the index (per environment of the page an
    index lookup for its newest successful, and its rows by id), whatever the history; `environments` says which
    environments there are (_every_environment, _recently_deployed): (their select, its order, the names of its
    columns to return after both deployments').
    One statement with both deployments' rows: the page and then its deployments by id cost two round trips and
    an IN list compiled per request (in-process, SQLite: 4.8 -> 2.3 ms of CPU per listing)."""
    which, order, extra = environments
    page = (which.order_by(*order).offset(bindparam("start", type_=Integer))
            .limit(bindparam("limit", type_=Integer)).subquery())
    successful = (select(d.c.id).where(d.c.repository_id == page.c.repository_id,
                                       d.c.environment_key == page.c.key, d.c.state == "SUCCESSFUL")
                  .order_by(*_NEWEST).limit(1).scalar_subquery())
    # Only the page's environments look up their newest successful.
    ids = select(page, successful.label("successful_id")).subquery()
    latest, good = d.alias("latest"), d.alias("good")
    return (select(latest, _from_commit(latest), good, _from_commit(good), *(ids.c[name] for name in extra))
            .select_from(ids.join(latest, latest.c.id == ids.c.latest_id)
                         .outerjoin(good, good.c.id == ids.c.successful_id))
            .order_by(latest.c.last_updated.desc(), latest.c.id.desc()))  # the page's order


# Built once: per request building it cost 2.5 of the listing's 4.2 ms (SQLite).
_ENVIRONMENTS_PAGE = _environments_page(_every_environment())
_RECENT_ENVIRONMENTS_PAGE = _environments_page(_recently_deployed())
RECENT_PER_ENVIRONMENT = 8  # deployments read per environment of the page (and those before it) at first
# A deep page goes straight to every environment's newest: the read of the newest deployments grows with start.
MOST_RECENT = 8000


async def list_environments(conn: AsyncConnection, repository_id: int, start: int, limit: int):
    """A page of the repository's environments: (its newest deployment, its newest successful one or None), as
    DeploymentRow pairs. Also run by cairn.lane on a direct connection, whose rows are plain tuples.

    First from the repository's newest deployments, which hold the environments deployed to most recently: a
    bounded read, whatever the history and however many environments (PostgreSQL, 100k deployments in 100
    environments: 1.96-2.25 -> 1.42-1.54 ms a statement). When they hold too few environments to be sure of the
    page, from every environment's newest deployment."""
    params = {"repository_id": repository_id, "start": start, "limit": limit}
    scan = RECENT_PER_ENVIRONMENT * (start + limit)
    rows = []
    if scan <= MOST_RECENT:
        rows = (await conn.execute(_RECENT_ENVIRONMENTS_PAGE, {**params, "scan": scan})).all()
    width = len(DeploymentRow._fields)
    if not rows or not _recent_page_is_exact(*rows[0][2 * width:], start + limit, scan):
        rows = (await conn.execute(_ENVIRONMENTS_PAGE, params)).all()
    return [(DeploymentRow(*row[:width]), None if row[width] is None else DeploymentRow(*row[width:2 * width]))
            for row in rows]


def _recent_page_is_exact(found: int, read: int, recorded: int, needed: int, scan: int) -> bool:
    """Whether the environments found among the newest deployments give the page exactly: every environment the
    page (or one before it) could hold was found, or the read saw all the deployments or all the environments.
    (An environment not found was last deployed to before every deployment read, so it comes after them all.)"""
    return found >= needed or read < scan or found >= recorded


async def environments_of_commits(conn: AsyncConnection, repository_id: int, commit_ids: list[str]):
    """(commit_id, environment_key, environment_display_name, environment_type, state) of the commits'
    deployments, newest first."""
    stmt = (select(d.c.commit_id, d.c.environment_key, d.c.environment_display_name, d.c.environment_type,
                   d.c.state)
            .where(d.c.repository_id == repository_id, d.c.commit_id.in_(commit_ids)).order_by(*_NEWEST))
    return (await conn.execute(stmt)).all()


def _prunable(repository_id: int, cutoff: int):
    """Deployments last updated before `cutoff`, except each environment's latest and latest successful one."""
    mine = env.c.repository_id == repository_id
    kept = select(_latest(d.c.id)).where(mine).union(select(_latest(d.c.id, "SUCCESSFUL")).where(mine))
    return and_(d.c.repository_id == repository_id, d.c.last_updated < cutoff, d.c.id.notin_(kept))


async def count_prunable(conn: AsyncConnection, repository_id: int, cutoff: int) -> int:
    return (await conn.execute(select(func.count()).select_from(d).where(_prunable(repository_id, cutoff)))).scalar()


async def prune(conn: AsyncConnection, repository_id: int, cutoff: int, limit: int) -> int:
    batch = select(d.c.id).where(_prunable(repository_id, cutoff)).limit(limit).scalar_subquery()
    return (await conn.execute(delete(d).where(d.c.id.in_(batch)))).rowcount
