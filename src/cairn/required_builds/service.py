"""Required builds: conditions, the branching model, and the merge verdict."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.builds import store as builds_store
from cairn.errors import ARGUMENT_VALIDATION, NO_SUCH_ENTITY, bad_request, not_found
from cairn.kit.commits import parse_commit_id
from cairn.kit.entities import RepositoryRef
from cairn.required_builds import merge_check, refmatch, store
from cairn.required_builds.schemas import (
    BranchModelConfiguration,
    ConditionSetRequest,
    RefMatcher,
    condition_json,
)


def _matcher_values(matcher: RefMatcher | None, name: str) -> tuple[str, str]:
    """(type id, id as stored) of a matcher that can exist; Bitbucket's ArgumentValidationException otherwise."""
    if matcher is None or matcher.type is None or not matcher.type.id:
        raise bad_request(f"A {name} with ID and type is required when creating or updating a new condition.",
                          name, ARGUMENT_VALIDATION)
    try:
        return matcher.type.id, refmatch.check(matcher.type.id, matcher.id or "")
    except ValueError as error:
        raise bad_request(f"The {name} could not be created with the provided type and id: {error}.", name,
                          ARGUMENT_VALIDATION) from None


def _values(body: ConditionSetRequest) -> dict:
    ref_type, ref_id = _matcher_values(body.ref_matcher, "refMatcher")
    exempt_type, exempt_id = (_matcher_values(body.exempt_ref_matcher, "exemptRefMatcher")
                              if body.exempt_ref_matcher is not None else (None, None))
    return {"build_parent_keys": json.dumps(body.build_parent_keys), "ref_matcher_type": ref_type,
            "ref_matcher_id": ref_id, "exempt_matcher_type": exempt_type, "exempt_matcher_id": exempt_id,
            "required_for_pull_request": body.required_for_pull_request,
            "required_for_merge_queue": body.required_for_merge_queue}


async def list_conditions(conn: AsyncConnection, repository_id: int, start: int, limit: int) -> list[dict]:
    return [condition_json(r) for r in await store.list_conditions(conn, repository_id, start, limit)]


async def create_condition(conn: AsyncConnection, repository_id: int, body: ConditionSetRequest) -> dict:
    condition_id = await store.insert_condition(conn, {"repository_id": repository_id, **_values(body)})
    return condition_json(await store.get_condition(conn, repository_id, condition_id))


async def update_condition(conn: AsyncConnection, repository_id: int, condition_id: int,
                           body: ConditionSetRequest) -> dict:
    if not await store.update_condition(conn, repository_id, condition_id, _values(body)):
        raise not_found(f"No required-builds condition with id {condition_id} exists in this repository.",
                        NO_SUCH_ENTITY)
    return condition_json(await store.get_condition(conn, repository_id, condition_id))


async def delete_condition(conn: AsyncConnection, repository_id: int, condition_id: int) -> None:
    """204 also when it was never there, as Bitbucket answers."""
    await store.delete_condition(conn, repository_id, condition_id)


# --- the branching model --------------------------------------------------------------------------

async def configuration(conn: AsyncConnection, repository_id: int) -> BranchModelConfiguration:
    stored = await store.branch_model_configuration(conn, repository_id)
    return BranchModelConfiguration.model_validate_json(stored) if stored else BranchModelConfiguration()


def _categories(config: BranchModelConfiguration) -> tuple[refmatch.Category, ...]:
    given = {t.id: t for t in config.types}
    return tuple(refmatch.Category(c.id, given[c.id].prefix, given[c.id].enabled) if c.id in given else c
                 for c in refmatch.default_categories())


def configuration_json(config: BranchModelConfiguration) -> dict:
    def branch(setting):
        return {"refId": setting.ref_id, "useDefault": setting.use_default}
    return {"development": branch(config.development), "production": branch(config.production),
            "types": [{"id": c.id, "displayName": refmatch.CATEGORY_NAMES[c.id], "enabled": c.enabled,
                       "prefix": c.prefix} for c in _categories(config)]}


def resolve(config: BranchModelConfiguration, default_branch: str) -> refmatch.BranchModel:
    """The model with its branches as refs: useDefault means the repository's default branch."""
    development = default_branch if config.development.use_default else config.development.ref_id
    production = default_branch if config.production.use_default else config.production.ref_id
    return refmatch.BranchModel(development, production, _categories(config))


def branch_model_json(model: refmatch.BranchModel, default_branch: str) -> dict:
    def ref(ref_id: str) -> dict:
        return {"id": ref_id, "displayId": refmatch.display_id(ref_id), "type": "BRANCH",
                "isDefault": ref_id == default_branch}
    body = {"development": ref(model.development)}
    if model.production is not None:
        body["production"] = ref(model.production)
    body["types"] = [{"id": c.id, "displayName": refmatch.CATEGORY_NAMES[c.id], "prefix": c.prefix}
                     for c in model.categories if c.enabled]
    return body


async def branch_model(conn: AsyncConnection, repository: RepositoryRef) -> dict:
    model = resolve(await configuration(conn, repository.id), repository.default_branch)
    return branch_model_json(model, repository.default_branch)


async def set_configuration(conn: AsyncConnection, repository_id: int, body: BranchModelConfiguration) -> dict:
    await store.set_branch_model_configuration(conn, repository_id, body.model_dump_json())
    return configuration_json(body)


async def reset_configuration(conn: AsyncConnection, repository_id: int) -> None:
    await store.delete_branch_model_configuration(conn, repository_id)


# --- the verdict ------------------------------------------------------------------------------------

def _matcher(type_id: str | None, matcher_id: str | None) -> merge_check.Matcher | None:
    return merge_check.Matcher(type_id, matcher_id) if type_id is not None else None


async def verdict(conn: AsyncConnection, repository: RepositoryRef, source_ref: str | None,
                  target_ref: str | None, commit_id: str | None) -> dict:
    """Gather conditions, statuses and the model; merge_check.verdict decides."""
    for name, value in (("targetRef", target_ref), ("commitId", commit_id)):
        if value is None or not value.strip():
            raise bad_request(f"{name} is required.", name)
    for name, value in (("targetRef", target_ref), ("sourceRef", source_ref)):
        if value is not None and len(refmatch.qualify(value)) > refmatch.MAX_REF:
            raise bad_request(f"{name} is at most {refmatch.MAX_REF} characters as a full ref.", name)
    commit_id = parse_commit_id(commit_id)
    conditions = [merge_check.Condition(r.id, tuple(json.loads(r.build_parent_keys)),
                                        _matcher(r.ref_matcher_type, r.ref_matcher_id),
                                        _matcher(r.exempt_matcher_type, r.exempt_matcher_id))
                  for r in await store.list_conditions(conn, repository.id)]
    statuses = [merge_check.Status(r.key, r.parent, r.state)
                for r in await builds_store.repository_states(conn, repository.id, commit_id)]
    model = resolve(await configuration(conn, repository.id), repository.default_branch)
    return merge_check.verdict(conditions, statuses, model, source_ref or None, target_ref)
