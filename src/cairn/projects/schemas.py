"""Wire shapes for projects and repositories (RestProject / RestRepository requests)."""

from __future__ import annotations

from typing import Literal

from pydantic import StrictBool

from cairn.kit.schema import Schema, Text


class ProjectCreate(Schema):
    key: str | None = None
    name: str | None = None
    description: Text(4000) | None = None
    public: StrictBool | None = None


class ProjectUpdate(Schema):
    key: str | None = None
    name: str | None = None
    description: Text(4000) | None = None
    public: StrictBool | None = None


class RepositoryCreate(Schema):
    name: str | None = None
    scm_id: str | None = None
    description: Text(4000) | None = None
    public: StrictBool | None = None
    forkable: StrictBool | None = None
    default_branch: Text(1024) | None = None


class RepositoryUpdate(RepositoryCreate):
    pass


class DefaultBranch(Schema):
    """The default-branch PUT body (RestBranch: only `id` is read), e.g. {"id": "refs/heads/develop"}."""

    id: Text(1024, required=True)


class MinimalRef(Schema):
    """RestMinimalRef."""

    id: str
    display_id: str
    type: Literal["BRANCH", "TAG"]
