"""The bootstrap administrator: created from CAIRN_ADMIN_USERNAME/PASSWORD only when absent."""

from starlette.testclient import TestClient

from cairn.app import create_app
from cairn.config import Settings


def _settings(tmp_path, **extra) -> Settings:
    return Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'boot.db'}", argon2_profile="cheapest",
                    auth_cache_seconds=0.5, **extra)


def test_the_bootstrap_admin_is_a_system_administrator_created_only_once(tmp_path):
    with TestClient(create_app(_settings(tmp_path, admin_username="root", admin_password="first"))) as client:
        r = client.get("/rest/api/latest/admin/permissions/users", auth=("root", "first"))
        assert r.status_code == 200, r.text
        assert [(v["user"]["name"], v["permission"]) for v in r.json()["values"]] == [("root", "SYS_ADMIN")]
        # A system administrator manages users.
        assert client.post("/rest/api/latest/admin/users", auth=("root", "first"),
                           params={"name": "alice", "password": "pw", "displayName": "Alice",
                                   "emailAddress": "alice@example.com"}).status_code == 204

    # Started again with another password: the existing user is never changed.
    with TestClient(create_app(_settings(tmp_path, admin_username="root", admin_password="second"))) as client:
        assert client.get("/rest/api/latest/admin/users", auth=("root", "first")).status_code == 200
        r = client.get("/rest/api/latest/admin/users", auth=("root", "second"))
        assert r.status_code == 401
        assert r.json()["errors"][0]["exceptionName"] == \
            "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"
        names = [u["name"] for u in client.get("/rest/api/latest/admin/users", auth=("root", "first")).json()["values"]]
        assert names == ["alice", "root"]


def test_an_existing_user_of_that_name_is_not_promoted(tmp_path):
    with TestClient(create_app(_settings(tmp_path, admin_username="root", admin_password="pw"))) as client:
        assert client.post("/rest/api/latest/admin/users", auth=("root", "pw"),
                           params={"name": "ops", "password": "ops-pw", "displayName": "Ops",
                                   "emailAddress": "ops@example.com"}).status_code == 204
    # "ops" already exists as a plain user: naming it the bootstrap admin changes nothing.
    with TestClient(create_app(_settings(tmp_path, admin_username="ops", admin_password="other"))) as client:
        assert client.get("/rest/api/latest/admin/users", auth=("ops", "ops-pw")).status_code == 401
        assert client.get("/rest/api/latest/admin/users", auth=("ops", "other")).status_code == 401
        assert client.get("/rest/api/latest/admin/users", auth=("root", "pw")).status_code == 200


def test_without_admin_settings_no_user_is_created(tmp_path):
    with TestClient(create_app(_settings(tmp_path))) as client:
        assert client.get("/status").json() == {"state": "RUNNING"}
        assert client.get("/rest/api/latest/projects").json()["values"] == []
        assert client.get("/rest/api/latest/projects", auth=("admin", "admin")).status_code == 401
