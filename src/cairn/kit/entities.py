"""Projects and repositories as every domain sees them, and their Bitbucket wire shapes."""

from __future__ import annotations

from dataclasses import dataclass


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
