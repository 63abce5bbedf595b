"""Build statuses: store, read, delete, count."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.auth import permissions as perms
from cairn.auth.access import AccessCache
from cairn.auth.access import generation as access_generation
from cairn.auth.deps import RepositoryAccess
from cairn.auth.principal import Principal
from cairn.builds import store
from cairn.builds.schemas import (
    BuildStatusSetRequest,
    LegacyBuildStatusRequest,
    status_json,
)
from cairn.builds.states import build_stats, parse_order
from cairn.errors import bad_request, not_found
from cairn.events import schemas as events
from cairn.events import service as event_log
from cairn.kit import written
from cairn.kit.clock import now_ms
from cairn.kit.commits import parse_commit_id

MAX_STATS_COMMITS = 1000  # cairn's guard on the many-commits stats body


def _row_values(repository_id: int | None, commit_id: str, body) -> dict:
    now = now_ms()
    updated = body.last_updated if body.last_updated is not None else now
    tests = getattr(body, "test_results", None)
    return {
        "repository_id": repository_id, "commit_id": commit_id, "key": body.key, "state": body.state,
        "url": body.url, "name": body.name, "description": body.description,
        "build_number": getattr(body, "build_number", None), "parent": getattr(body, "parent", None),
        "ref": getattr(body, "ref", None), "duration": getattr(body, "duration", None),
        "tests_successful": tests.successful if tests else None,
        "tests_failed": tests.failed if tests else None,
        "tests_skipped": tests.skipped if tests else None,
        "created_date": updated, "updated_date": updated,
    }


class _Stored:
    """A status row as status_json reads it, from the values being stored in a repository."""

    def __init__(self, values: dict, access: RepositoryAccess):
        self.__dict__.update(values, project_key=access.repository.project.key,
                             repository_slug=access.repository.slug)


async def set_status(conn: AsyncConnection, access: RepositoryAccess, base_url: str, commit_id: str,
                     body: BuildStatusSetRequest) -> None:
    values = _row_values(access.repository.id, commit_id, body)
    now = now_ms()

    def event_for(created: int) -> dict:
        stored = _Stored({**values, "created_date": created}, access)
        return event_log.values(events.BUILD_STATUS_SET, now, access, base_url, commit_id, "buildStatus",
                                status_json(stored))
    # On PostgreSQL one statement with its event: cairn.lane pipelines it (with concurrent ones, one round trip
    # and one commit).
    await store.upsert_status(conn, values, event_for)
    written.BUILD_STATUSES.inc()


async def set_legacy_status(conn: AsyncConnection, commit_id: str, body: LegacyBuildStatusRequest) -> None:
    await store.upsert_status(conn, _row_values(None, commit_id, body))
    written.BUILD_STATUSES.inc()


def _query_key(key: str | None, action: str) -> str:
    """The `key` query parameter of GET/DELETE: required and not blank (a NUL never gets past the app)."""
    if key is None or not key.strip():
        raise bad_request(f"The key of the build status to {action} is required.", "key")
    return key


async def get_status(conn: AsyncConnection, repository_id: int, commit_id: str, key: str) -> dict:
    key = _query_key(key, "get")
    row = await store.get_status(conn, repository_id, commit_id, key)
    if row is None:
        raise not_found(f"No build status with key '{key}' exists for commit {commit_id}.")
    return status_json(row)


async def list_statuses(conn: AsyncConnection, repository_id: int, commit_id: str, start: int,
                        limit: int) -> list[dict]:
    """Without `key` the GET answers a page, newest first (decision D5)."""
    rows = await store.list_repository_statuses(conn, repository_id, commit_id, start, limit)
    return [status_json(r) for r in rows]


async def delete_status(conn: AsyncConnection, access: RepositoryAccess, base_url: str, commit_id: str,
                        key: str | None) -> None:
    key = _query_key(key, "delete")
    row = await store.delete_status(conn, access.repository.id, commit_id, key)
    if row is not None:  # deleting what is not there changes nothing, and tells nobody
        deleted = _Stored(row._asdict(), access)
        await event_log.record(conn, events.BUILD_STATUS_DELETED, now_ms(), access, base_url, commit_id,
                               "buildStatus", status_json(deleted))


async def list_commit_statuses(conn: AsyncConnection, principal: Principal, commit_id: str,
                               order_by: str | None, start: int, limit: int) -> list[dict]:
    order = parse_order(order_by)
    if order is None:
        raise bad_request(f"'{order_by}' is not a valid orderBy; use NEWEST, OLDEST or STATUS.", "orderBy")
    if start >= store.LEGACY_LISTING_CAP:
        return []
    limit = min(limit, store.LEGACY_LISTING_CAP - start)  # the page ends with the 100th status
    rows = await store.list_commit_statuses(conn, principal, commit_id, order, start, limit)
    return [status_json(r, legacy_listing=True) for r in rows]


async def stats(conn: AsyncConnection, principal: Principal, commit_id: str, include_unique: bool,
                access: AccessCache | None = None) -> dict:
    """`access`: the lane's cache of which repositories a signed-in caller may read; without it the count checks
    access in SQL."""
    if access is None or principal.anonymous:
        counts = (await store.count_by_state(conn, principal, [commit_id])).get(commit_id, {})
    else:
        counts = await _count_readable(conn, principal, commit_id, access)
    body = build_stats(counts)
    if include_unique and sum(counts.values()) == 1:
        # Decision D3: the one build status, when the commit has exactly one.
        row = await store.only_status(conn, principal, commit_id)
        if row is not None:
            body["results"] = [status_json(row, legacy_listing=True)]
    return body


async def _count_readable(conn: AsyncConnection, principal: Principal, commit_id: str, access: AccessCache) -> dict:
    """{state: count} of the commit's statuses the caller may see: the plain count per repository, and whether
    they may read each repository from the cache (one statement per repository it lacks; a system administrator
    reads all). Checked in the count's statement, the access took PostgreSQL more CPU than the count itself
    (bench/: 220-266 against 98-121 us per stats GET, REPO_READ caller against an administrator)."""
    counts: dict[str, int] = {}
    user_id, everything = principal.user_id, principal.owner_global_level >= perms.GLOBAL_ADMIN
    for repository_id, state, n in await store.count_per_repository(conn, commit_id):
        if repository_id is not None and not everything:
            readable = access.readable(user_id, repository_id)
            if readable is None:
                checked_in = access_generation()
                readable = await store.may_read(conn, user_id, repository_id)
                access.put_readable(user_id, repository_id, readable, checked_in)
            if not readable:
                continue
        counts[state] = counts.get(state, 0) + n
    return counts


async def multiple_stats(conn: AsyncConnection, principal: Principal, commit_ids: list) -> dict:
    if len(commit_ids) > MAX_STATS_COMMITS:
        raise bad_request(f"At most {MAX_STATS_COMMITS} commits may be asked for at once.")
    ids = [parse_commit_id(c, f"[{i}]") for i, c in enumerate(commit_ids)]
    counts = await store.count_by_state(conn, principal, set(ids))
    return {commit: build_stats(c) for commit, c in counts.items()}


async def count_in_repository(conn: AsyncConnection, repository_id: int,
                              commit_ids: list[str]) -> dict[str, dict[str, int]]:
    """What the repository page shows per commit: its own and the legacy statuses, counted per state."""
    return await store.count_in_repository(conn, repository_id, commit_ids) if commit_ids else {}


async def list_legacy_statuses(conn: AsyncConnection, commit_id: str, limit: int) -> list[dict]:
    return [status_json(r, legacy_listing=True) for r in await store.list_legacy_statuses(conn, commit_id, limit)]


async def count_prunable(conn: AsyncConnection, repository_id: int | None, cutoff: int) -> int:
    return await store.count_prunable(conn, repository_id, cutoff)


async def prune(conn: AsyncConnection, repository_id: int | None, cutoff: int, limit: int) -> int:
    """Delete up to `limit` rows older than `cutoff` (cairn prune calls it in short transactions)."""
    return await store.prune(conn, repository_id, cutoff, limit)
