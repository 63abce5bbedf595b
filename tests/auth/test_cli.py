"""The admin CLI, thin over the services: its results are checked through the HTTP API."""

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from cairn.app import create_app
from cairn.cli import main
from cairn.config import Settings
from tests.fixtures.api import SHA


@pytest.fixture
def home(tmp_path):
    return tmp_path


def _env(home) -> dict:
    return {"CAIRN_HOME": str(home), "CAIRN_DATABASE_URL": f"sqlite:///{home / 'cli.db'}",
            "CAIRN_ARGON2_PROFILE": "cheapest", "CAIRN_ADMIN_USERNAME": "", "CAIRN_ADMIN_PASSWORD": ""}


def cairn(home, *args, input=None):
    return CliRunner().invoke(main, list(args), input=input, env=_env(home), catch_exceptions=False)


def _app(home) -> TestClient:
    return TestClient(create_app(Settings(home=home, database_url=f"sqlite:///{home / 'cli.db'}",
                                          base_url="http://ci.example/bb", argon2_profile="cheapest",
                                          auth_cache_seconds=0.5)))


def test_cli_builds_a_working_setup(home):
    r = cairn(home, "user", "create", "alice", "--display-name", "Alice", "--email", "alice@example.com",
              input="alice-pw\n")
    assert r.exit_code == 0, r.output
    assert "alice" in r.output
    r = cairn(home, "user", "create", "root", "--permission", "SYS_ADMIN", input="root-pw\n")
    assert r.exit_code == 0, r.output
    assert cairn(home, "user", "create", "bob", input="bob-pw\n").exit_code == 0
    r = cairn(home, "project", "create", "prj", "My Project", "--description", "From the CLI")
    assert r.exit_code == 0 and "PRJ" in r.output, r.output
    r = cairn(home, "repo", "create", "PRJ", "My Repo")
    assert r.exit_code == 0 and "PRJ/my-repo" in r.output, r.output
    assert cairn(home, "repo", "create", "PRJ", "Public Repo", "--public").exit_code == 0
    r = cairn(home, "grant", "alice", "REPO_ADMIN", "--repo", "PRJ/my-repo")
    assert r.exit_code == 0, r.output
    assert cairn(home, "grant", "bob", "PROJECT_READ", "--project", "PRJ").exit_code == 0
    assert cairn(home, "grant", "bob", "PROJECT_CREATE").exit_code == 0
    r = cairn(home, "token", "create", "alice", "--name", "ci", "--permission", "REPO_ADMIN")
    assert r.exit_code == 0, r.output
    secret = r.output.strip().splitlines()[-1]

    with _app(home) as client:
        # The password read from stdin works, without its newline.
        assert client.get("/rest/api/latest/projects", auth=("alice", "alice-pw")).status_code == 200
        assert client.get("/rest/api/latest/projects", auth=("alice", "alice-pw\n")).status_code == 401
        # root is a system administrator.
        users = client.get("/rest/api/latest/admin/users", auth=("root", "root-pw"))
        assert users.status_code == 200
        by_name = {u["name"]: u for u in users.json()["values"]}
        assert set(by_name) == {"alice", "bob", "root"}
        assert (by_name["alice"]["displayName"], by_name["alice"]["emailAddress"]) == ("Alice", "alice@example.com")
        assert by_name["bob"]["displayName"] == "bob"
        # The project and repositories, with links from the base URL.
        project = client.get("/rest/api/latest/projects/PRJ", auth=("root", "root-pw")).json()
        assert (project["key"], project["name"], project["description"]) == ("PRJ", "My Project", "From the CLI")
        assert project["links"]["self"] == [{"href": "http://ci.example/bb/projects/PRJ"}]
        repo = client.get("/rest/api/latest/projects/PRJ/repos/my-repo", auth=("root", "root-pw")).json()
        assert repo["name"] == "My Repo" and repo["public"] is False
        assert client.get("/rest/api/latest/projects/PRJ/repos/public-repo").json()["public"] is True
        # The CLI operator is not a user: it holds no grant on what it created.
        grants = client.get("/rest/api/latest/projects/PRJ/permissions/users", auth=("root", "root-pw")).json()
        assert [(g["user"]["name"], g["permission"]) for g in grants["values"]] == [("bob", "PROJECT_READ")]
        # The grants: alice administers the repository, bob reads the project and may create projects.
        builds = f"/rest/api/latest/projects/PRJ/repos/my-repo/commits/{SHA}/builds"
        assert client.delete(builds, params={"key": "K"}, auth=("alice", "alice-pw")).status_code == 204
        assert client.get("/rest/api/latest/projects/PRJ/repos/my-repo", auth=("bob", "bob-pw")).status_code == 200
        assert client.delete(builds, params={"key": "K"}, auth=("bob", "bob-pw")).status_code == 401
        assert client.post("/rest/api/latest/projects", auth=("bob", "bob-pw"),
                           json={"key": "BOB", "name": "Bob's"}).status_code == 201
        # The token printed by the CLI is usable, as Bearer and as the Basic password.
        r = client.post(builds, headers={"Authorization": f"Bearer {secret}"},
                        json={"key": "K", "state": "SUCCESSFUL", "url": "http://ci/1"})
        assert r.status_code == 204, r.text
        assert r.headers["x-ausername"] == "alice"
        assert client.delete(builds, params={"key": "K"}, auth=("alice", secret)).status_code == 204
        tokens = client.get("/rest/access-tokens/latest/users/alice", auth=("alice", "alice-pw")).json()["values"]
        assert [(t["name"], t["permissions"]) for t in tokens] == [("ci", ["REPO_ADMIN"])]


def test_cli_errors_are_reported_and_change_nothing(home):
    assert cairn(home, "user", "create", "alice", input="pw\n").exit_code == 0
    r = cairn(home, "user", "create", "alice", input="other\n")
    assert r.exit_code != 0 and "already exists" in r.output
    r = cairn(home, "user", "create", "empty", input="\n")
    assert r.exit_code != 0 and "password" in r.output.lower()
    r = cairn(home, "project", "create", "1BAD", "Bad")
    assert r.exit_code != 0 and "Project keys must start with a letter" in r.output
    r = cairn(home, "repo", "create", "NOPE", "repo")
    assert r.exit_code != 0 and "NOPE" in r.output
    assert cairn(home, "project", "create", "PRJ", "Project").exit_code == 0
    r = cairn(home, "grant", "ghost", "PROJECT_READ", "--project", "PRJ")
    assert r.exit_code != 0 and "ghost" in r.output
    r = cairn(home, "grant", "alice", "REPO_READ", "--project", "PRJ")
    assert r.exit_code != 0 and "REPO_READ" in r.output
    r = cairn(home, "grant", "alice", "REPO_READ", "--repo", "PRJ/nope")
    assert r.exit_code != 0 and "PRJ/nope" in r.output
    r = cairn(home, "token", "create", "alice", "--name", "t", "--permission", "BOGUS")
    assert r.exit_code != 0 and "BOGUS" in r.output
    with _app(home) as client:
        assert client.get("/rest/api/latest/projects", auth=("alice", "pw")).status_code == 200
        assert client.get("/rest/api/latest/projects", auth=("alice", "other")).status_code == 401
        assert client.get("/rest/api/latest/projects/PRJ", auth=("alice", "pw")).status_code == 404


def test_cli_groups_grant_their_members_access(home):
    for name in ("carol", "dave"):
        assert cairn(home, "user", "create", name, input=f"{name}-pw\n").exit_code == 0
    assert cairn(home, "project", "create", "GRP", "Grouped").exit_code == 0
    assert cairn(home, "repo", "create", "GRP", "svc").exit_code == 0
    r = cairn(home, "group", "create", "ci-bots")
    assert r.exit_code == 0 and "ci-bots" in r.output, r.output
    assert cairn(home, "group", "create", "ops").exit_code == 0
    assert cairn(home, "group", "add", "ci-bots", "carol", "dave").exit_code == 0
    assert cairn(home, "group", "grant", "ci-bots", "REPO_WRITE", "--repo", "GRP/svc").exit_code == 0
    assert cairn(home, "group", "add", "ops", "dave").exit_code == 0
    assert cairn(home, "group", "grant", "ops", "ADMIN").exit_code == 0
    assert cairn(home, "group", "remove", "ci-bots", "dave").exit_code == 0
    # Mistakes are reported and change nothing.
    r = cairn(home, "group", "add", "nobody", "carol")
    assert r.exit_code != 0 and "Group nobody does not exist" in r.output
    r = cairn(home, "group", "grant", "ci-bots", "PROJECT_READ", "--repo", "GRP/svc")
    assert r.exit_code != 0 and "not a valid permission" in r.output
    assert cairn(home, "group", "create", "OPS").exit_code != 0

    with _app(home) as client:
        repo = "/rest/api/latest/projects/GRP/repos/svc"
        assert client.get(repo, auth=("carol", "carol-pw")).status_code == 200
        groups = client.get(f"{repo}/permissions/groups", auth=("dave", "dave-pw")).json()["values"]
        assert groups == [{"group": {"name": "ci-bots"}, "permission": "REPO_WRITE"}]  # dave administers via ops
        members = client.get("/rest/api/latest/admin/groups/more-members", params={"context": "ci-bots"},
                             auth=("dave", "dave-pw")).json()["values"]
        assert [m["name"] for m in members] == ["carol"]
        names = client.get("/rest/api/latest/groups", auth=("carol", "carol-pw")).json()["values"]
        assert names == ["ci-bots", "ops"]
