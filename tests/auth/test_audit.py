"""The audit trail: every administrative change and every delete is recorded with who, when and from where,
in the change's own transaction; the hot writes are not; no secret is ever kept."""

import json

from click.testing import CliRunner

from cairn.api import AUDITED_ROUTERS, prefixed_routers
from cairn.auth.audit import ACTIONS, NOT_AUDITED, AuditTrail, route_key
from cairn.cli import main
from tests.fixtures.api import BUILDS, SHA
from tests.webhooks.conftest import eventually

P = "/rest/api/latest/projects"


def _events(db) -> list[dict]:
    rows = db("SELECT actor_name, address, action, project_key, repository_slug, details FROM audit_events "
              "ORDER BY id")
    return [{"user": r[0], "address": r[1], "action": r[2], "target": f"{r[3]}/{r[4]}", "details": json.loads(r[5])}
            for r in rows]


def _uses_trail(dependant) -> bool:
    return any(sub.call is AuditTrail.dependency or _uses_trail(sub) for sub in dependant.dependencies)


def test_every_write_route_is_audited_or_deliberately_not():
    trailed = {}  # (method, path) of each write route -> whether the audit trail runs for it
    for prefix, router in prefixed_routers():
        for route in router.routes:
            for method in set(getattr(route, "methods", ())) - {"GET", "HEAD"}:
                trailed[route_key(method, prefix + route.path)] = (router in AUDITED_ROUTERS
                                                                   or _uses_trail(route.dependant))
    assert set(trailed) == set(ACTIONS) | NOT_AUDITED  # a new write route must say which it is
    for key, on in trailed.items():
        assert on == (key in ACTIONS), key


def test_changes_are_recorded_with_who_where_and_what_but_never_a_secret(repo, db):
    api = repo
    before = len(_events(db))
    api.user("alice", password="correct-horse-battery")
    api.grant_repo("alice", "REPO_ADMIN")
    r = api.put("/rest/access-tokens/latest/users/alice", json={"name": "ci", "permissions": ["REPO_READ"]})
    secret = r.json()["token"]
    assert api.post(BUILDS, json={"key": "k", "state": "FAILED", "url": "https://ci.example/1"}).status_code == 204
    assert api.as_user(("alice", "correct-horse-battery")).delete(BUILDS, params={"key": "k"}).status_code == 204
    events = _events(db)[before:]
    assert [e["action"] for e in events] == ["USER_CREATED", "REPOSITORY_PERMISSION_GRANTED", "ACCESS_TOKEN_CREATED",
                                             "BUILD_STATUS_DELETED"]  # the POST of a status is not audited
    assert events[0]["user"] == "admin" and events[0]["address"] == "testclient"
    assert events[0]["details"] == {"name": "alice", "displayName": "Alice", "emailAddress": "alice@example.com"}
    assert events[1]["target"] == "PRJ/repo" and events[1]["details"] == {"name": "alice", "permission": "REPO_ADMIN"}
    assert events[2]["details"]["permissions"] == ["REPO_READ"] and events[2]["details"]["userSlug"] == "alice"
    assert events[3] == {"user": "alice", "address": "testclient", "action": "BUILD_STATUS_DELETED",
                         "target": "PRJ/repo", "details": {"commitId": SHA, "key": "k"}}
    everything = json.dumps(events)
    assert "correct-horse-battery" not in everything and secret not in everything


def test_a_refused_change_leaves_no_entry(repo, db):
    api = repo
    before = len(_events(db))
    r = api.put(f"{P}/PRJ/permissions/users", params={"name": "ghost", "permission": "PROJECT_READ"})
    assert r.status_code == 404
    assert api.post(f"{P}/PRJ/repos", json={"name": "bad name!"}).status_code == 400
    assert api.as_user(None).delete(f"{P}/PRJ/repos/repo").status_code == 401
    assert len(_events(db)) == before


def test_cairn_audit_prints_and_filters_the_trail(repo, db, cli):
    api = repo
    api.repo("PRJ", "other")
    api.user("bob")
    api.grant_repo("bob", "REPO_READ", slug="other")
    assert api.delete(f"{P}/PRJ/repos/other").status_code == 202

    def cairn(*args):
        return cli("audit", *args)

    lines = cairn("--repo", "PRJ/other")
    assert [line.split("  ")[3] for line in lines] == ["REPOSITORY_DELETED", "REPOSITORY_PERMISSION_GRANTED",
                                                        "REPOSITORY_CREATED"]
    assert all("  admin  testclient  " in line for line in lines)
    as_json = [json.loads(line) for line in cairn("--user", "admin", "--json", "--limit", "2")]
    assert [e["action"] for e in as_json] == ["REPOSITORY_DELETED", "REPOSITORY_PERMISSION_GRANTED"]
    assert cairn("--user", "nobody") == []
    assert cairn("--since", "2999-01-01") == [] and len(cairn("--until", "2999-01-01")) >= 5
    r = CliRunner().invoke(main, ["audit", "--since", "yesterday"])
    assert r.exit_code != 0 and "ISO 8601" in r.output


HOOK = {"name": "h", "url": "http://127.0.0.1:9/", "events": ["deployment:set"]}


def test_each_audited_action_is_recorded(repo, db):
    """One of every audited change through the API; the trail names each kind of action, attributed."""
    api = repo
    a = "/rest/api/latest/admin"
    r_ = f"{P}/PRJ/repos/repo"
    ok = {200, 201, 202, 204}
    calls = [
        ("POST", f"{a}/users", {"params": {"name": "u", "password": "pw", "displayName": "U",
                                           "emailAddress": "u@x"}}),
        ("PUT", f"{a}/permissions/users", {"params": {"name": "u", "permission": "PROJECT_CREATE"}}),
        ("DELETE", f"{a}/permissions/users", {"params": {"name": "u"}}),
        ("POST", f"{a}/groups", {"params": {"name": "g"}}),
        ("POST", f"{a}/groups/add-user", {"json": {"context": "g", "itemName": "u"}}),
        ("POST", f"{a}/groups/remove-user", {"json": {"context": "g", "itemName": "u"}}),
        ("PUT", f"{a}/permissions/groups", {"params": {"name": "g", "permission": "LICENSED_USER"}}),
        ("DELETE", f"{a}/permissions/groups", {"params": {"name": "g"}}),
        ("PUT", f"{a}/rate-limit/settings", {"json": {"enabled": False}}),
        ("PUT", f"{a}/rate-limit/settings/users/u", {"json": {"whitelisted": True}}),
        ("POST", f"{P}", {"json": {"key": "NEW", "name": "New"}}),
        ("PUT", f"{P}/NEW", {"json": {"description": "d"}}),
        ("PUT", f"{P}/PRJ/permissions/users", {"params": {"name": "u", "permission": "PROJECT_READ"}}),
        ("DELETE", f"{P}/PRJ/permissions/users", {"params": {"name": "u"}}),
        ("POST", f"{P}/PRJ/repos", {"json": {"name": "second"}}),
        ("PUT", r_, {"json": {"description": "d"}}),
        ("PUT", f"{r_}/permissions/users", {"params": {"name": "u", "permission": "REPO_READ"}}),
        ("DELETE", f"{r_}/permissions/users", {"params": {"name": "u"}}),
        ("POST", f"/rest/required-builds/latest{r_[len('/rest/api/latest'):]}/condition",
         {"json": {"buildParentKeys": ["ci"], "refMatcher": {"type": {"id": "ANY_REF"}}}}),
        ("PUT", f"/rest/branch-utils/latest{r_[len('/rest/api/latest'):]}/branchmodel/configuration",
         {"json": {"production": {"refId": "prod"}}}),
        ("DELETE", f"{r_}/commits/{SHA}/builds", {"params": {"key": "k"}}),
        ("DELETE", f"{r_}/commits/{SHA}/deployments", {"params": {"key": "d", "environmentKey": "e",
                                                                   "deploymentSequenceNumber": 1}}),
        ("PUT", "/rest/access-tokens/latest/projects/PRJ", {"json": {"name": "t", "permissions": ["PROJECT_READ"]}}),
        ("POST", f"{r_}/webhooks", {"json": HOOK}),
        ("POST", f"{P}/PRJ/webhooks", {"json": HOOK}),
        ("DELETE", f"{P}/PRJ/repos/second", {}),
        ("DELETE", f"{P}/NEW", {}),
        ("DELETE", f"{a}/groups", {"params": {"name": "g"}}),
        ("DELETE", f"{a}/users", {"params": {"name": "u"}}),
    ]
    insights = f"/rest/insights/latest{r_[len('/rest/api/latest'):]}/commits/{SHA}/reports/lint"
    assert api.put(insights, json={"title": "Lint"}).status_code == 200  # not audited: a hot write
    calls += [("DELETE", f"{insights}/annotations", {}), ("DELETE", insights, {})]
    before = len(_events(db))
    made = {}  # ids the calls create; a create appends its update and delete, which this loop then makes
    for method, path, kw in calls:
        r = api.request(method, path.format(**made), **kw)
        assert r.status_code in ok, (method, path, r.status_code, r.text)
        if "/condition" in path and method == "POST":
            made["condition"] = r.json()["id"]
            calls += [("PUT", f"{path}/{{condition}}", kw), ("DELETE", f"{path}/{{condition}}", {})]
        if path.startswith("/rest/access-tokens") and method == "PUT":
            made["token"] = r.json()["id"]
            calls += [("POST", f"{path}/{{token}}", {"json": {"name": "renamed"}}), ("DELETE", f"{path}/{{token}}", {})]
        if path.endswith("/webhooks") and method == "POST":  # changed, an event delivered again, and deleted
            hook = made[path] = r.json()["id"]
            deployment = {"deploymentSequenceNumber": 1, "description": "d", "displayName": "d", "key": "d",
                          "state": "SUCCESSFUL", "url": "https://ci.example",
                          "environment": {"key": "e", "displayName": "E"}}
            assert api.post(f"{r_}/commits/{SHA}/deployments", json=deployment).status_code == 200  # not audited
            history = f"/rest/cairn/latest{path[len('/rest/api/latest'):]}/{hook}/deliveries"
            deliveries = eventually(lambda: api.get(history).json()["values"])  # queued within half a second
            delivery = deliveries[0]
            calls += [("PUT", f"{path}/{hook}", {"json": {"active": False}}),
                      ("POST", f"{history}/{delivery['id']}/redeliver", {}),
                      ("DELETE", f"{path}/{hook}", {})]
    events = _events(db)[before:]
    assert len(events) == len(calls) and all(e["user"] == "admin" for e in events)
    assert {e["action"] for e in events} == set(ACTIONS.values())
