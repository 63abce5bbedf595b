"""The permission matrix: every route of the route table, called by every kind of caller, on a private and on a
public repository, answers exactly the status this file's table expects.

ROUTES names, per route, the permission it needs (our reading of the OpenAPI document, kept here, not read
from the code) and a probe: a request that an allowed caller gets a known answer to without changing anything
(an invalid body is a 400 only once permission is granted; deletes aim at what does not exist). A route
missing from ROUTES fails the test, as does an entry for a route that is gone.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from cairn.api import route_table
from tests.fixtures.api import SHA

NOT_THERE = "000000000000"
BAD = {"json": {"name": 5, "key": 5, "state": "NOPE", "title": 5, "annotations": "x", "permissions": "x",
                "refMatcher": 5, "development": 5, "id": 5, "enabled": "x"}}

RH = "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks"
RC = "/rest/cairn/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks"
PH = "/rest/api/latest/projects/{projectKey}/webhooks"
PC = "/rest/cairn/latest/projects/{projectKey}/webhooks"
EV = "/rest/cairn/latest/projects/{projectKey}/repos/{repositorySlug}"

# route -> (permission it needs, what an allowed caller is answered, the probe's request)
ROUTES: dict[tuple[str, str], tuple[str, int, dict]] = {
    ("GET", RH): ("REPO_ADMIN", 200, {}),
    ("POST", RH): ("REPO_ADMIN", 400, BAD),
    ("POST", RH + "/test"): ("REPO_ADMIN", 400, {}),  # neither a URL nor a webhook to test
    ("GET", RH + "/{webhookId}"): ("REPO_ADMIN", 404, {}),
    ("PUT", RH + "/{webhookId}"): ("REPO_ADMIN", 400, BAD),
    ("DELETE", RH + "/{webhookId}"): ("REPO_ADMIN", 404, {}),
    ("GET", RH + "/{webhookId}/latest"): ("REPO_ADMIN", 404, {}),
    ("GET", RH + "/{webhookId}/statistics"): ("REPO_ADMIN", 404, {}),
    ("GET", RH + "/{webhookId}/statistics/summary"): ("REPO_ADMIN", 404, {}),
    ("GET", RC + "/{webhookId}/deliveries"): ("REPO_ADMIN", 404, {}),
    ("POST", RC + "/{webhookId}/deliveries/{deliveryId}/redeliver"): ("REPO_ADMIN", 404, {}),
    ("GET", RH + "/search"): ("REPO_ADMIN", 200, {}),
    ("GET", PH): ("PROJECT_ADMIN", 200, {}),
    ("POST", PH): ("PROJECT_ADMIN", 400, BAD),
    ("POST", PH + "/test"): ("PROJECT_ADMIN", 400, {}),  # neither a URL nor a webhook to test
    ("GET", PH + "/{webhookId}"): ("PROJECT_ADMIN", 404, {}),
    ("PUT", PH + "/{webhookId}"): ("PROJECT_ADMIN", 400, BAD),
    ("DELETE", PH + "/{webhookId}"): ("PROJECT_ADMIN", 404, {}),
    ("GET", PH + "/{webhookId}/latest"): ("PROJECT_ADMIN", 404, {}),
    ("GET", PH + "/{webhookId}/statistics"): ("PROJECT_ADMIN", 404, {}),
    ("GET", PH + "/{webhookId}/statistics/summary"): ("PROJECT_ADMIN", 404, {}),
    ("GET", PC + "/{webhookId}/deliveries"): ("PROJECT_ADMIN", 404, {}),
    ("POST", PC + "/{webhookId}/deliveries/{deliveryId}/redeliver"): ("PROJECT_ADMIN", 404, {}),
    ("GET", EV + "/events"): ("REPO_READ", 400, {"params": {"lastEventId": "x"}}),  # (a stream never ends)
    ("GET", EV + "/commits/{commitId}/events"): ("REPO_READ", 400, {"params": {"lastEventId": "x"}}),
    ("GET", "/status"): ("NO_AUTH", 200, {}),  # load balancers ask it: it looks at no credential
    ("GET", "/rest/capabilities"): ("PUBLIC", 200, {}),
    ("GET", "/rest/api/latest/build/capabilities"): ("PUBLIC", 200, {}),
    ("GET", "/rest/api/latest/deployment/capabilities"): ("PUBLIC", 200, {}),
    ("GET", "/rest/api/latest/application-properties"): ("PUBLIC", 200, {}),
    ("GET", "/rest/"): ("PUBLIC", 200, {}),
    ("GET", "/rest/api/latest/projects"): ("PUBLIC", 200, {}),
    ("POST", "/rest/api/latest/projects"): ("PROJECT_CREATE", 400, BAD),
    ("GET", "/rest/api/latest/projects/{projectKey}"): ("PROJECT_VIEW", 200, {}),
    ("PUT", "/rest/api/latest/projects/{projectKey}"): ("PROJECT_ADMIN", 400, BAD),
    ("DELETE", "/rest/api/latest/projects/{projectKey}"): ("PROJECT_ADMIN", 409, {}),  # it has repositories
    ("GET", "/rest/api/latest/projects/{projectKey}/repos"): ("PROJECT_VIEW", 200, {}),
    ("POST", "/rest/api/latest/projects/{projectKey}/repos"): ("PROJECT_ADMIN", 400, BAD),
    ("GET", "/rest/api/latest/projects/{projectKey}/permissions/users"): ("PROJECT_ADMIN", 200, {}),
    ("PUT", "/rest/api/latest/projects/{projectKey}/permissions/users"): (
        "PROJECT_ADMIN", 400, {"params": {"name": "someone", "permission": "BOGUS"}}),
    ("DELETE", "/rest/api/latest/projects/{projectKey}/permissions/users"): (
        "PROJECT_ADMIN", 404, {"params": {"name": "ghost"}}),
    ("GET", "/rest/api/latest/projects/{projectKey}/permissions/groups"): ("PROJECT_ADMIN", 200, {}),
    ("GET", "/rest/api/latest/projects/{projectKey}/permissions/groups/none"): ("PROJECT_ADMIN", 202, {}),
    ("PUT", "/rest/api/latest/projects/{projectKey}/permissions/groups"): (
        "PROJECT_ADMIN", 400, {"params": {"name": "g-read", "permission": "BOGUS"}}),
    ("DELETE", "/rest/api/latest/projects/{projectKey}/permissions/groups"): (
        "PROJECT_ADMIN", 404, {"params": {"name": "ghost"}}),
    ("GET", "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}"): ("REPO_READ", 200, {}),
    ("PUT", "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}"): ("REPO_ADMIN", 400, BAD),
    # Allowed callers are not probed: it would delete the world (other tests delete repositories).
    ("DELETE", "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}"): ("REPO_ADMIN_IF_EXISTS", None, {}),
    ("GET", "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/default-branch"): ("REPO_READ", 200, {}),
    ("PUT", "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/default-branch"): ("REPO_ADMIN", 400, BAD),
    ("GET", "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/permissions/users"): ("REPO_ADMIN", 200, {}),
    ("PUT", "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/permissions/users"): (
        "REPO_ADMIN", 400, {"params": {"name": "someone", "permission": "BOGUS"}}),
    ("DELETE", "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/permissions/users"): (
        "REPO_ADMIN", 404, {"params": {"name": "ghost"}}),
    ("GET", "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/permissions/groups"): (
        "REPO_ADMIN", 200, {}),
    ("GET", "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/permissions/groups/none"): (
        "REPO_ADMIN", 200, {}),
    ("PUT", "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/permissions/groups"): (
        "REPO_ADMIN", 400, {"params": {"name": "g-read", "permission": "BOGUS"}}),
    ("DELETE", "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/permissions/groups"): (
        "REPO_ADMIN", 404, {"params": {"name": "ghost"}}),
    ("GET", "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/builds"): (
        "REPO_READ", 200, {}),
    ("POST", "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/builds"): (
        "REPO_READ_SIGNED_IN", 400, BAD),
    ("DELETE", "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/builds"): (
        "REPO_ADMIN", 204, {"params": {"key": "nothing-has-this-key"}}),
    ("GET", "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/deployments"): (
        "REPO_READ", 400, {}),  # one deployment: its key, environment and sequence number are required
    ("POST", "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/deployments"): (
        "REPO_READ_SIGNED_IN", 400, BAD),
    ("DELETE", "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/deployments"): (
        "REPO_ADMIN", 400, {}),  # the deployment's key, environment and sequence number are required
    ("GET", "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/deployments"): ("REPO_READ", 200, {}),
    ("GET", "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/environments"): ("REPO_READ", 200, {}),
    ("GET", "/rest/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports"): (
        "REPO_READ", 200, {}),
    ("GET", "/rest/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/annotations"): (
        "REPO_READ", 200, {}),
    ("GET", "/rest/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}"): (
        "REPO_READ", 404, {}),
    ("PUT", "/rest/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}"): (
        "REPO_READ_SIGNED_IN", 400, BAD),
    ("DELETE",
     "/rest/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}"): (
        "REPO_READ_SIGNED_IN", 204, {}),
    ("GET", "/rest/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}"
            "/annotations"): ("REPO_READ", 404, {}),
    ("POST", "/rest/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}"
             "/annotations"): ("REPO_READ_SIGNED_IN", 400, BAD),
    ("DELETE", "/rest/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}"
               "/annotations"): ("REPO_READ_SIGNED_IN", 404, {}),
    ("PUT", "/rest/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}"
            "/annotations/{externalId}"): ("REPO_READ_SIGNED_IN", 400, BAD),
    ("GET", "/rest/required-builds/latest/projects/{projectKey}/repos/{repositorySlug}/conditions"): (
        "REPO_READ", 200, {}),
    ("POST", "/rest/required-builds/latest/projects/{projectKey}/repos/{repositorySlug}/condition"): (
        "REPO_ADMIN", 400, BAD),
    ("PUT", "/rest/required-builds/latest/projects/{projectKey}/repos/{repositorySlug}/condition/{id}"): (
        "REPO_ADMIN", 400, BAD),
    ("DELETE", "/rest/required-builds/latest/projects/{projectKey}/repos/{repositorySlug}/condition/{id}"): (
        "REPO_ADMIN", 204, {}),  # deleting what is not there is done
    ("GET", "/rest/required-builds/latest/projects/{projectKey}/repos/{repositorySlug}/verdict"): (
        "REPO_READ", 400, {}),  # sourceRef, targetRef and commitId are required
    ("GET", "/rest/branch-utils/latest/projects/{projectKey}/repos/{repositorySlug}/branchmodel"): (
        "REPO_READ", 200, {}),
    ("GET", "/rest/branch-utils/latest/projects/{projectKey}/repos/{repositorySlug}/branchmodel/configuration"): (
        "REPO_READ", 200, {}),
    ("PUT", "/rest/branch-utils/latest/projects/{projectKey}/repos/{repositorySlug}/branchmodel/configuration"): (
        "REPO_ADMIN", 400, BAD),
    ("DELETE", "/rest/branch-utils/latest/projects/{projectKey}/repos/{repositorySlug}/branchmodel/configuration"): (
        "REPO_ADMIN", 204, {}),  # back to the defaults it has anyway
    ("GET", "/rest/build-status/latest/commits/{commitId}"): ("LICENSED_USER", 200, {}),
    ("POST", "/rest/build-status/latest/commits/{commitId}"): ("LICENSED_USER", 400, BAD),
    ("GET", "/rest/build-status/latest/commits/stats/{commitId}"): ("LICENSED_USER", 200, {}),
    ("POST", "/rest/build-status/latest/commits/stats"): ("LICENSED_USER", 400, BAD),
    ("GET", "/rest/api/latest/admin/users"): ("SYS_ADMIN", 200, {}),
    ("POST", "/rest/api/latest/admin/users"): ("SYS_ADMIN", 400, {}),
    ("DELETE", "/rest/api/latest/admin/users"): ("SYS_ADMIN", 404, {"params": {"name": "ghost"}}),
    ("GET", "/rest/api/latest/admin/permissions/users"): ("ADMIN", 200, {}),
    ("PUT", "/rest/api/latest/admin/permissions/users"): ("ADMIN", 400, {"params": {"name": "someone",
                                                                                   "permission": "BOGUS"}}),
    ("DELETE", "/rest/api/latest/admin/permissions/users"): ("ADMIN", 404, {"params": {"name": "ghost"}}),
    ("GET", "/rest/api/latest/groups"): ("LICENSED_USER", 200, {}),
    ("GET", "/rest/api/latest/admin/groups"): ("LICENSED_USER", 200, {}),
    ("POST", "/rest/api/latest/admin/groups"): ("ADMIN", 400, {"params": {"name": " "}}),
    ("DELETE", "/rest/api/latest/admin/groups"): ("ADMIN", 404, {"params": {"name": "ghost"}}),
    ("POST", "/rest/api/latest/admin/groups/add-user"): ("ADMIN", 404, {"json": {"context": "ghost",
                                                                                "itemName": "someone"}}),
    ("POST", "/rest/api/latest/admin/groups/add-users"): ("ADMIN", 400, BAD),
    ("POST", "/rest/api/latest/admin/groups/remove-user"): ("ADMIN", 404, {"json": {"context": "ghost",
                                                                                   "itemName": "someone"}}),
    ("GET", "/rest/api/latest/admin/groups/more-members"): ("LICENSED_USER", 200, {"params": {"context": "g-read"}}),
    ("GET", "/rest/api/latest/admin/groups/more-non-members"): ("LICENSED_USER", 200,
                                                                {"params": {"context": "g-read"}}),
    ("POST", "/rest/api/latest/admin/users/add-group"): ("ADMIN", 404, {"json": {"context": "ghost",
                                                                                "itemName": "g-read"}}),
    ("POST", "/rest/api/latest/admin/users/add-groups"): ("ADMIN", 400, BAD),
    ("POST", "/rest/api/latest/admin/users/remove-group"): ("ADMIN", 404, {"json": {"context": "ghost",
                                                                                   "itemName": "g-read"}}),
    ("GET", "/rest/api/latest/admin/users/more-members"): ("LICENSED_USER", 200, {"params": {"context": "someone"}}),
    ("GET", "/rest/api/latest/admin/users/more-non-members"): ("LICENSED_USER", 200,
                                                               {"params": {"context": "someone"}}),
    ("GET", "/rest/api/latest/admin/permissions/groups"): ("ADMIN", 200, {}),
    ("GET", "/rest/api/latest/admin/permissions/groups/none"): ("ADMIN", 200, {}),
    ("PUT", "/rest/api/latest/admin/permissions/groups"): ("ADMIN", 400, {"params": {"name": "g-read",
                                                                                    "permission": "BOGUS"}}),
    ("DELETE", "/rest/api/latest/admin/permissions/groups"): ("ADMIN", 404, {"params": {"name": "ghost"}}),
    ("GET", "/rest/api/latest/admin/rate-limit/settings"): ("LICENSED_USER", 200, {}),
    ("PUT", "/rest/api/latest/admin/rate-limit/settings"): ("ADMIN", 400, BAD),
    ("GET", "/rest/api/latest/admin/rate-limit/settings/users"): ("ADMIN", 200, {}),
    ("POST", "/rest/api/latest/admin/rate-limit/settings/users"): ("ADMIN", 400, BAD),
    ("GET", "/rest/api/latest/admin/rate-limit/settings/users/{userSlug}"): ("SELF_OR_ADMIN", 404, {}),
    ("PUT", "/rest/api/latest/admin/rate-limit/settings/users/{userSlug}"): ("ADMIN", 400, BAD),
    ("DELETE", "/rest/api/latest/admin/rate-limit/settings/users/{userSlug}"): ("ADMIN", 404, {}),
    ("GET", "/rest/api/latest/admin/rate-limit/history"): ("ADMIN", 200, {}),
    ("GET", "/rest/access-tokens/latest/users/{userSlug}"): ("SELF_OR_ADMIN", 200, {}),
    ("PUT", "/rest/access-tokens/latest/users/{userSlug}"): ("SELF_OR_ADMIN", 400, BAD),
    ("GET", "/rest/access-tokens/latest/users/{userSlug}/{tokenId}"): ("SELF_OR_ADMIN", 404, {}),
    ("POST", "/rest/access-tokens/latest/users/{userSlug}/{tokenId}"): ("SELF_OR_ADMIN", 400, BAD),
    ("DELETE", "/rest/access-tokens/latest/users/{userSlug}/{tokenId}"): ("SELF_OR_ADMIN", 404, {}),
    ("GET", "/rest/access-tokens/latest/projects/{projectKey}"): ("PROJECT_ADMIN_IN_PERSON", 200, {}),
    ("PUT", "/rest/access-tokens/latest/projects/{projectKey}"): ("PROJECT_ADMIN_IN_PERSON", 400, BAD),
    ("GET", "/rest/access-tokens/latest/projects/{projectKey}/{tokenId}"): ("PROJECT_ADMIN_IN_PERSON", 404, {}),
    ("POST", "/rest/access-tokens/latest/projects/{projectKey}/{tokenId}"): ("PROJECT_ADMIN_IN_PERSON", 400, BAD),
    ("DELETE", "/rest/access-tokens/latest/projects/{projectKey}/{tokenId}"): ("PROJECT_ADMIN_IN_PERSON", 404, {}),
    ("GET", "/rest/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}"): (
        "REPO_ADMIN_IN_PERSON", 200, {}),
    ("PUT", "/rest/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}"): (
        "REPO_ADMIN_IN_PERSON", 400, BAD),
    ("GET", "/rest/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}/{tokenId}"): (
        "REPO_ADMIN_IN_PERSON", 404, {}),
    ("POST", "/rest/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}/{tokenId}"): (
        "REPO_ADMIN_IN_PERSON", 400, BAD),
    ("DELETE", "/rest/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}/{tokenId}"): (
        "REPO_ADMIN_IN_PERSON", 404, {}),
}

GLOBAL = {"ADMIN": 3, "SYS_ADMIN": 4, "PROJECT_CREATE": 2}
REPO_NEEDS = {"REPO_READ": 1, "REPO_READ_SIGNED_IN": 1, "REPO_ADMIN": 3, "REPO_ADMIN_IN_PERSON": 3,
              "REPO_ADMIN_IF_EXISTS": 3}


@dataclass(frozen=True)
class Caller:
    """Who calls, and what they hold: levels on the private world (PRJ, PRJ/repo) and the public one (PUB,
    PUB/pub), their global level, whether they are a token, and whether they see each project at all."""
    name: str
    private: tuple[int, int] = (0, 0)  # (project level, repository level)
    public: tuple[int, int] = (0, 1)  # PUB/pub is public: everyone reads it
    glob: int = 1
    token: bool = False
    sees_prj: bool = False
    bad: bool = False  # an expired or deleted token: every authenticated route answers 401
    anonymous: bool = False


def _person(name: str, project: int = 0, repository: int = 0, glob: int = 1) -> Caller:
    if glob >= 3:  # ADMIN and SYS_ADMIN administer every project and repository
        project = repository = 3
    level = max(project, repository)
    return Caller(name, (project, level), (project, max(level, 1)), glob, sees_prj=bool(level) or glob >= 3)


CALLERS = [
    Caller("anonymous", glob=0, anonymous=True),
    Caller("stranger"),
    *[_person(f"{who}{kind}", repository=level) for who in ("", "g-") for kind, level in
      (("repo-read", 1), ("repo-write", 2), ("repo-admin", 3))],
    *[_person(f"{who}{kind}", project=level) for who in ("", "g-") for kind, level in
      (("project-read", 1), ("project-write", 2), ("project-admin", 3))],
    *[_person(f"{who}{kind}", glob=level) for who in ("", "g-") for kind, level in
      (("global-admin", 3), ("global-sys-admin", 4))],
    Caller("personal-token-repo-read", (0, 1), (0, 1), token=True, sees_prj=True),
    Caller("repository-token", (0, 3), (0, 1), token=True, sees_prj=True),
    Caller("project-token", (3, 3), (0, 1), token=True, sees_prj=True),
    Caller("other-repository-token", (0, 0), (0, 1), token=True, sees_prj=True),
    Caller("expired-token", bad=True, token=True),
    Caller("deleted-token", bad=True, token=True),
]


def expected(permission: str, allowed: int | None, caller: Caller, world: str) -> int | None:
    """The status `caller` gets on a route needing `permission` in `world` ("private" or "public")."""
    if permission == "NO_AUTH":
        return allowed
    if caller.bad:
        return 401
    denied = 401  # Bitbucket answers 401 to the anonymous and to the signed-in who lack permission
    if permission == "PUBLIC":
        return allowed
    if caller.anonymous and permission not in ("PROJECT_VIEW", "REPO_READ"):
        return denied
    project, repository = caller.private if world == "private" else caller.public
    sees_project = caller.sees_prj if world == "private" else True  # PUB has a public repository
    glob = 1 if caller.token else caller.glob  # a token never carries its owner's administration
    if permission == "LICENSED_USER":
        return allowed
    if permission in GLOBAL:
        return allowed if glob >= GLOBAL[permission] else denied
    if permission == "SELF_OR_ADMIN":  # the probes name another user
        return allowed if glob >= 3 and not caller.token else denied
    if permission == "PROJECT_VIEW":
        if sees_project:
            return allowed
        return 401 if caller.anonymous else 404
    if permission in ("PROJECT_ADMIN", "PROJECT_ADMIN_IN_PERSON"):
        if not sees_project:
            return 404
        if permission.endswith("IN_PERSON") and caller.token:
            return denied
        return allowed if project >= 3 else denied
    needs = REPO_NEEDS[permission]
    if repository < 1:  # cannot read the repository: it is missing for them
        if caller.anonymous:
            return 401
        # Deleting a repository that is missing is done (204), unless the whole project is missing for them.
        return 204 if permission == "REPO_ADMIN_IF_EXISTS" and sees_project else 404
    if caller.anonymous and permission != "REPO_READ":
        return denied
    if permission.endswith("IN_PERSON") and caller.token:
        return denied
    return allowed if repository >= needs else denied


def _probe_path(template: str, world: str) -> str:
    key, slug = ("PRJ", "repo") if world == "private" else ("PUB", "pub")
    return (template.replace("{projectKey}", key).replace("{repositorySlug}", slug).replace("{commitId}", SHA)
            .replace("{key}", "nope").replace("{externalId}", "x").replace("{tokenId}", NOT_THERE)
            .replace("{id}", "999999").replace("{userSlug}", "someone").replace("{webhookId}", "999999")
            .replace("{deliveryId}", "999999"))


@pytest.fixture
def world(api):
    """PRJ/repo and PRJ/other (private) and PUB/pub (public), every caller of CALLERS with their grants."""
    admin = api.as_user(("admin", "admin-password"))
    api.project("PRJ")
    api.repo("PRJ", "repo")
    api.repo("PRJ", "other")
    api.project("PUB")
    api.repo("PUB", "pub", public=True)
    api.user("someone")
    headers: dict[str, dict] = {"anonymous": {}}
    grants = {"repo-read": ("repo", "REPO_READ"), "repo-write": ("repo", "REPO_WRITE"),
              "repo-admin": ("repo", "REPO_ADMIN"), "project-read": ("project", "PROJECT_READ"),
              "project-write": ("project", "PROJECT_WRITE"), "project-admin": ("project", "PROJECT_ADMIN"),
              "global-admin": ("global", "ADMIN"), "global-sys-admin": ("global", "SYS_ADMIN")}
    api.user("stranger")
    headers["stranger"] = {"auth": ("stranger", "stranger-password")}
    for kind, (scope, permission) in grants.items():
        for group in (False, True):
            name = f"g-{kind}" if group else kind
            api.user(name)
            headers[name] = {"auth": (name, f"{name}-password")}
            holder = {"name": f"grp-{kind}"} if group else {"name": name}
            kind_path = "groups" if group else "users"
            if group:
                assert admin.post("/rest/api/latest/admin/groups", params=holder).status_code == 200
                admin.post("/rest/api/latest/admin/groups/add-user", json={"context": f"grp-{kind}", "itemName": name})
            if scope == "global":
                r = admin.put(f"/rest/api/latest/admin/permissions/{kind_path}", params={**holder,
                                                                                         "permission": permission})
                assert r.status_code == 204, r.text
                continue
            for key, slug in (("PRJ", "repo"), ("PUB", "pub")):
                path = f"/rest/api/latest/projects/{key}" + (f"/repos/{slug}" if scope == "repo" else "")
                r = admin.put(f"{path}/permissions/{kind_path}", params={**holder, "permission": permission})
                assert r.status_code == 204, r.text
    assert admin.post("/rest/api/latest/admin/groups", params={"name": "g-read"}).status_code == 200
    # Tokens: a personal one capped at REPO_READ (its owner administers both repositories), scoped ones.
    api.user("capped")
    for key, slug in (("PRJ", "repo"), ("PUB", "pub")):
        admin.put(f"/rest/api/latest/projects/{key}/repos/{slug}/permissions/users",
                  params={"name": "capped", "permission": "REPO_ADMIN"})
    tokens = {"personal-token-repo-read": api.token(("capped", "capped-password"), ["REPO_READ"])["token"]}
    for name, path, permission in (("repository-token", "PRJ/repos/repo", "REPO_ADMIN"),
                                   ("project-token", "PRJ", "PROJECT_ADMIN"),
                                   ("other-repository-token", "PRJ/repos/other", "REPO_ADMIN"),
                                   ("expired-token", "PRJ/repos/repo", "REPO_ADMIN"),
                                   ("deleted-token", "PRJ/repos/repo", "REPO_ADMIN")):
        r = admin.put(f"/rest/access-tokens/latest/projects/{path}", json={"name": name,
                                                                            "permissions": [permission]})
        assert r.status_code == 200, r.text
        tokens[name] = r.json()["token"]
        if name == "deleted-token":
            assert admin.delete(f"/rest/access-tokens/latest/projects/{path}/{r.json()['id']}").status_code == 204
        if name == "expired-token":
            expired_id = r.json()["id"]
    for name, secret in tokens.items():
        headers[name] = {"headers": {"Authorization": f"Bearer {secret}"}}
    return api, headers, expired_id


def test_every_route_has_an_entry():
    routes = {(m.split(",")[0], p.replace("/1.0/", "/latest/", 1)) for m, p, _ in route_table()}
    assert routes == set(ROUTES)


def test_each_caller_gets_exactly_the_expected_status_on_every_route(world, db_write):
    api, headers, expired_id = world
    db_write("UPDATE access_tokens SET expires_date = 1 WHERE id = :id", {"id": expired_id})
    api.client.app.state.authenticator.forget()  # as if the cache had run out: the expiry is seen now
    wrong = []
    for (method, template), (permission, allowed, probe) in ROUTES.items():
        for world_name in ("private", "public"):
            path = _probe_path(template, world_name)
            for caller in CALLERS:
                want = expected(permission, allowed, caller, world_name)
                if want is None:  # allowed, but the probe would destroy the world (deleting a repository)
                    continue
                got = api.client.request(method, path, **probe, **headers[caller.name]).status_code
                if got != want:
                    wrong.append(f"{method} {path} as {caller.name}: {got}, expected {want}")
    assert wrong == []
