"""Required-builds conditions (read for readers, edited by repository administrators) and the merge check."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from cairn.auth import permissions as perms
from cairn.auth.deps import RepositoryAccess, repository_access
from cairn.db.uow import Conn
from cairn.errors import CairnError, unauthorized, validation_errors
from cairn.required_builds import service
from cairn.required_builds.refmatch import CATEGORIES, CATEGORY_NAMES, MODEL_BRANCHES, TYPE_NAMES
from cairn.required_builds.schemas import ConditionSetRequest
from cairn.web.pages import REPOSITORY, ProjectKey, RepositorySlug, Text
from cairn.web.render import render
from cairn.web.session import Form, Visitor

router = APIRouter(include_in_schema=False)
SETTINGS = REPOSITORY + "/settings/required-builds"


def _matcher(form, prefix: str) -> dict | None:
    """A ref matcher from the picker: its type, and the id from the input that type uses."""
    type_id = form.get(prefix + "Type") or ""
    if not type_id:
        return None
    field = {"MODEL_CATEGORY": "Category", "MODEL_BRANCH": "ModelBranch"}.get(type_id, "Id")
    return {"id": form.get(prefix + field) or "", "type": {"id": type_id}}


def _body(form) -> dict:
    """The API's JSON body from the form (keys one per line or comma-separated)."""
    keys = [k.strip() for k in re.split(r"[\n,]", form.get("buildParentKeys") or "") if k.strip()]
    body = {"buildParentKeys": keys, "refMatcher": _matcher(form, "refMatcher"),
            "requiredForPullRequest": form.get("requiredForPullRequest") == "on",
            "requiredForMergeQueue": form.get("requiredForMergeQueue") == "on"}
    exempt = _matcher(form, "exemptRefMatcher")
    if exempt is not None:
        body["exemptRefMatcher"] = exempt
    return body


def _administers(access: RepositoryAccess) -> None:
    if access.level < perms.ADMIN:
        raise unauthorized(access.principal.anonymous)


async def _settings(request: Request, conn, access: RepositoryAccess, editing: int | None = None,
                    errors: list[dict] | None = None, values: dict | None = None, status_code: int = 200):
    conditions = await service.list_conditions(conn, access.repository.id, 0, 1000)
    return render(request, "repository/required_builds.html", {
        "access": access, "repository": access.repository, "conditions": conditions,
        "may_edit": access.level >= perms.ADMIN, "editing": editing, "errors": errors or [],
        "values": values, "matcher_types": TYPE_NAMES, "categories": {c: CATEGORY_NAMES[c] for c in CATEGORIES},
        "model_branches": MODEL_BRANCHES}, status_code=status_code)


@router.get(SETTINGS)
async def settings(request: Request, conn: Conn, visitor: Visitor, projectKey: ProjectKey,  # noqa: N803
                   repositorySlug: RepositorySlug, edit: Text = None):  # noqa: N803
    access = await repository_access(conn, visitor, projectKey, repositorySlug)
    editing = int(edit) if edit and edit.isdigit() else None
    return await _settings(request, conn, access, editing)


async def _save(request: Request, conn, access: RepositoryAccess, form, condition_id: int | None):
    _administers(access)
    body = _body(form)
    try:
        request_body = ConditionSetRequest.model_validate(body)
        if condition_id is None:
            await service.create_condition(conn, access.repository.id, request_body)
        else:
            await service.update_condition(conn, access.repository.id, condition_id, request_body)
    except ValidationError as error:
        return await _settings(request, conn, access, condition_id, validation_errors(error.errors()), dict(form), 400)
    except CairnError as error:
        if error.status != 400:
            raise
        errors = [{"context": error.context, "message": error.message}]
        return await _settings(request, conn, access, condition_id, errors, dict(form), 400)
    return RedirectResponse(request.url.path.rsplit("/required-builds", 1)[0] + "/required-builds", 303)


@router.post(SETTINGS)
async def create(request: Request, conn: Conn, visitor: Visitor, form: Form, projectKey: ProjectKey,  # noqa: N803
                 repositorySlug: RepositorySlug):  # noqa: N803
    access = await repository_access(conn, visitor, projectKey, repositorySlug)
    return await _save(request, conn, access, form, None)


@router.post(SETTINGS + "/{conditionId}")
async def update(request: Request, conn: Conn, visitor: Visitor, form: Form, projectKey: ProjectKey,  # noqa: N803
                 repositorySlug: RepositorySlug, conditionId: int):  # noqa: N803
    access = await repository_access(conn, visitor, projectKey, repositorySlug)
    return await _save(request, conn, access, form, conditionId)


@router.post(SETTINGS + "/{conditionId}/delete")
async def delete(request: Request, conn: Conn, visitor: Visitor, form: Form, projectKey: ProjectKey,  # noqa: N803
                 repositorySlug: RepositorySlug, conditionId: int):  # noqa: N803
    access = await repository_access(conn, visitor, projectKey, repositorySlug)
    _administers(access)
    await service.delete_condition(conn, access.repository.id, conditionId)
    return RedirectResponse(request.url.path.rsplit("/", 2)[0], 303)


@router.get(REPOSITORY + "/merge-check")
async def merge_check(request: Request, conn: Conn, visitor: Visitor, projectKey: ProjectKey,  # noqa: N803
                      repositorySlug: RepositorySlug, sourceRef: Text = None, targetRef: Text = None,  # noqa: N803
                      commitId: Text = None):  # noqa: N803
    access = await repository_access(conn, visitor, projectKey, repositorySlug)
    asked = {"sourceRef": sourceRef or "", "targetRef": targetRef or "", "commitId": commitId or ""}
    verdict, error = None, None
    if targetRef or commitId:
        try:
            verdict = await service.verdict(conn, access.repository, sourceRef, targetRef, commitId)
        except CairnError as failure:
            if failure.status != 400:
                raise
            error = failure.message
    conditions = {c["id"]: c for c in await service.list_conditions(conn, access.repository.id, 0, 1000)}
    if verdict is not None:
        for result in verdict["conditions"]:
            unmet = {u["key"] for u in result["unmet"]}
            result["condition"] = conditions.get(result["id"])
            result["met"] = [k for k in result["buildParentKeys"] if k not in unmet]
    return render(request, "repository/merge_check.html", {
        "access": access, "repository": access.repository, "asked": asked, "verdict": verdict, "error": error},
        status_code=400 if error else 200)
