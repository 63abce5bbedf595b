"""Projects and repositories as every domain sees them, and their Bitbucket wire shapes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from cairn.kit.schema import Schema


@dataclass(frozen=True)
class ProjectRef:
    id: int
    key: str
    name: str
    description: str | None
    public: bool


@dataclass(frozen=True)
class RepositoryRef:
    id: int
    slug: str
    name: str
    description: str | None
    public: bool
    forkable: bool
    default_branch: str
    hierarchy_id: str
    project: ProjectRef


# --- documentation models of the shapes below (routes name them in `responses=`; bodies stay dicts) ---------


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def omitted(description: str) -> Any:
    """A member left out when unset (never sent as null): type it `X | SkipJsonSchema[None]`."""
    return Field(default=None, description=description, json_schema_extra=_no_default)


class Link(Schema):
    href: str


class NamedLink(Link):
    name: str


class SelfLinks(Schema):
    self_: list[Link] = Field(alias="self")


class RepositoryLinks(SelfLinks):
    clone: list[NamedLink] = Field(description="ssh first, then http")


class Project(Schema):
    """RestProject, as cairn answers it."""

    key: str = Field(examples=["PRJ"])
    id: int
    name: str = Field(examples=["My Cool Project"])
    description: str | SkipJsonSchema[None] = omitted("Omitted when the project has none")
    public: bool
    type: Literal["NORMAL", "PERSONAL"] = Field(description="Always NORMAL in cairn (no personal projects)")
    scope: Literal["PROJECT"]
    links: SelfLinks


class Repository(Schema):
    """RestRepository, as cairn answers it."""

    slug: str = Field(examples=["my-repo"])
    id: int
    name: str = Field(examples=["My repo"])
    description: str | SkipJsonSchema[None] = omitted("Omitted when the repository has none")
    hierarchy_id: str = Field(examples=["e3c939f9ef4a7fae272e"])
    scm_id: Literal["git"]
    state: Literal["AVAILABLE", "INITIALISATION_FAILED", "INITIALISING", "OFFLINE"]
    status_message: str = Field(examples=["Available"])
    forkable: bool
    archived: bool
    public: bool
    project: Project
    # Clone URLs use the lower-cased project key, `self` the real one (as Bitbucket).
    links: RepositoryLinks


# --- wire shapes --------------------------------------------------------------------------------------


def project_json(project: ProjectRef, base_url: str) -> dict:
    """RestProject; `description` omitted when unset, as Bitbucket does."""
    body = {"key": project.key, "id": project.id, "name": project.name}
    if project.description:
        body["description"] = project.description
    body.update({"public": project.public, "type": "NORMAL", "scope": "PROJECT",
                 "links": {"self": [{"href": f"{base_url}/projects/{project.key}"}]}})
    return body


def repository_json(repo: RepositoryRef, base_url: str) -> dict:
    """RestRepository; clone URLs use the lower-cased project key, `self` the real one (as Bitbucket)."""
    key = repo.project.key
    host = base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    body = {"slug": repo.slug, "id": repo.id, "name": repo.name, "hierarchyId": repo.hierarchy_id,
            "scmId": "git", "state": "AVAILABLE", "statusMessage": "Available",
            "forkable": repo.forkable, "archived": False, "public": repo.public,
            "project": project_json(repo.project, base_url),
            "links": {"clone": [{"href": f"ssh://git@{host}:7999/{key.lower()}/{repo.slug}.git", "name": "ssh"},
                                {"href": f"{base_url}/scm/{key.lower()}/{repo.slug}.git", "name": "http"}],
                      "self": [{"href": f"{base_url}/projects/{key}/repos/{repo.slug}/browse"}]}}
    if repo.description:
        body["description"] = repo.description
    return body
