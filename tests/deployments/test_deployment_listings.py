"""cairn's two listings (beyond Bitbucket): the repository's deployments and its environments (decision D16).

GET /rest/api/{1.0,latest}/projects/{projectKey}/repos/{repositorySlug}/deployments
GET /rest/api/{1.0,latest}/projects/{projectKey}/repos/{repositorySlug}/environments
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from cairn.deployments import store
from cairn.deployments.store import _ENVIRONMENTS_PAGE, _RECENT_ENVIRONMENTS_PAGE

from tests.deployments.conftest import (
    DEPLOYMENTS,
    ENVIRONMENTS,
    LISTING,
    NO_PROJECT,
    NO_REPO,
    SHA,
    SHA2,
    SHA3,
    SHA4,
    body,
    commit,
    deploy,
    deployments_url,
    identity,
    repo_url,
)
from tests.fixtures.api import assert_error


def page(api, url: str = LISTING, **params) -> dict:
    r = api.get(url, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json;charset=UTF-8"
    body = r.json()
    assert {"size", "limit", "start", "isLastPage", "values"} <= set(body) <= {
        "size", "limit", "start", "isLastPage", "values", "nextPageStart"}
    assert body["size"] == len(body["values"])
    assert ("nextPageStart" in body) == (not body["isLastPage"])
    return body


def listed(api, **params) -> list[tuple]:
    """(key, environment key, sequence number) of the listed deployments, in order."""
    return [(d["key"], d["environment"]["key"], d["deploymentSequenceNumber"])
            for d in page(api, **params)["values"]]


def environments(api, **params) -> list[dict]:
    return page(api, ENVIRONMENTS, **params)["values"]


# --- the repository's deployments ----------------------------------------------------------------------


@pytest.mark.parametrize("url", [LISTING, ENVIRONMENTS])
def test_empty_repository_lists_nothing(repo, url):
    assert page(repo, url) == {"size": 0, "limit": 25, "start": 0, "isLastPage": True, "values": []}


def test_values_are_the_deployments_as_get_answers_them(repo):
    posted = deploy(repo, lastUpdated=5)
    assert page(repo)["values"] == [posted]
    assert repo.get(deployments_url(), params=identity()).json() == posted


def test_newest_first_by_last_updated(repo):
    deploy(repo, seq=1, lastUpdated=300)
    deploy(repo, seq=2, lastUpdated=100)
    deploy(repo, seq=3, lastUpdated=200)
    assert [s for _, _, s in listed(repo)] == [1, 3, 2]


def test_ties_on_last_updated_list_the_most_recently_created_first(repo):
    for seq in (5, 1, 3):
        deploy(repo, seq=seq, lastUpdated=1000)
    assert [s for _, _, s in listed(repo)] == [3, 1, 5]


def test_an_update_moves_a_deployment_up(repo):
    deploy(repo, seq=1, state="IN_PROGRESS", lastUpdated=100)
    deploy(repo, seq=2, lastUpdated=200)
    deploy(repo, seq=1, state="SUCCESSFUL", lastUpdated=300)
    assert [s for _, _, s in listed(repo)] == [1, 2]
    assert page(repo)["values"][0]["state"] == "SUCCESSFUL"


@pytest.fixture
def mixed(repo):
    """Six deployments across keys, environments, types, states and commits (newest first: f..a)."""
    prod = {"key": "prod", "displayName": "Prod", "type": "PRODUCTION"}
    stage = {"key": "stage", "displayName": "Stage", "type": "STAGING"}
    untyped = {"key": "dev", "displayName": "Dev"}
    deploy(repo, sha=SHA, seq=1, key="web", environment=stage, state="SUCCESSFUL", lastUpdated=1)   # a
    deploy(repo, sha=SHA, seq=1, key="web", environment=prod, state="FAILED", lastUpdated=2)        # b
    deploy(repo, sha=SHA2, seq=2, key="web", environment=prod, state="SUCCESSFUL", lastUpdated=3)   # c
    deploy(repo, sha=SHA2, seq=1, key="api", environment=prod, state="IN_PROGRESS", lastUpdated=4)  # d
    deploy(repo, sha=SHA3, seq=1, key="api", environment=untyped, state="ROLLED_BACK", lastUpdated=5)  # e
    deploy(repo, sha=SHA3, seq=7, key="Web", environment=prod, state="PENDING", lastUpdated=6)      # f
    return repo


@pytest.mark.parametrize("params, expected", [
    ({}, "fedcba"),
    ({"environmentKey": "prod"}, "fdcb"),
    ({"environmentKey": "Prod"}, ""),  # exact
    ({"environmentKey": "dev"}, "e"),
    ({"environmentKey": "nowhere"}, ""),
    ({"environmentType": "PRODUCTION"}, "fdcb"),
    ({"environmentType": "production"}, "fdcb"),
    ({"environmentType": "Staging"}, "a"),
    ({"environmentType": "TESTING"}, ""),
    ({"state": "SUCCESSFUL"}, "ca"),
    ({"state": "successful"}, "ca"),
    ({"state": "rolled_back"}, "e"),
    ({"state": "In_Progress"}, "d"),
    ({"state": "CANCELLED"}, ""),
    ({"key": "web"}, "cba"),
    ({"key": "Web"}, "f"),  # exact
    ({"key": "api"}, "ed"),
    ({"commitId": SHA2}, "dc"),
    ({"commitId": SHA2.upper()}, "dc"),
    ({"commitId": SHA4}, ""),
    ({"key": "web", "environmentKey": "prod"}, "cb"),
    ({"key": "web", "state": "SUCCESSFUL", "environmentType": "production"}, "c"),
    ({"commitId": SHA, "environmentKey": "stage"}, "a"),
    ({"state": "FAILED", "key": "api"}, ""),
])
def test_filters(mixed, params, expected):
    letters = {(("web", "stage", 1)): "a", ("web", "prod", 1): "b", ("web", "prod", 2): "c",
               ("api", "prod", 1): "d", ("api", "dev", 1): "e", ("Web", "prod", 7): "f"}
    assert "".join(letters[t] for t in listed(mixed, **params)) == expected


@pytest.mark.parametrize("param, value", [
    ("environmentType", "QA"), ("environmentType", ""), ("environmentType", "PROD"),
    ("state", "DONE"), ("state", ""), ("state", "INPROGRESS"),
    ("commitId", "abc"), ("commitId", ""), ("commitId", SHA + "0"), ("commitId", "z" * 40),
])
def test_bad_filter_value_is_a_400_naming_it(repo, param, value):
    deploy(repo)
    assert_error(repo.get(LISTING, params={param: value}), 400, context=param)


def test_paging(repo):
    for seq in range(1, 6):
        deploy(repo, seq=seq, lastUpdated=seq)
    first = page(repo, limit=2)
    assert (first["size"], first["limit"], first["start"], first["isLastPage"], first["nextPageStart"]) == \
        (2, 2, 0, False, 2)
    assert [d["deploymentSequenceNumber"] for d in first["values"]] == [5, 4]
    second = page(repo, start=2, limit=2)
    assert [d["deploymentSequenceNumber"] for d in second["values"]] == [3, 2]
    assert (second["isLastPage"], second["nextPageStart"]) == (False, 4)
    last = page(repo, start=4, limit=2)
    assert [d["deploymentSequenceNumber"] for d in last["values"]] == [1]
    assert last["isLastPage"] is True and "nextPageStart" not in last
    exact = page(repo, limit=5)
    assert exact["size"] == 5 and exact["isLastPage"] is True
    beyond = page(repo, start=50)
    assert beyond["values"] == [] and beyond["isLastPage"] is True and beyond["start"] == 50
    assert page(repo, limit=5000)["limit"] == 1000


def test_paging_with_a_filter(repo):
    for seq in range(1, 7):
        deploy(repo, seq=seq, lastUpdated=seq, state="SUCCESSFUL" if seq % 2 else "FAILED")
    first = page(repo, state="SUCCESSFUL", limit=2)
    assert [d["deploymentSequenceNumber"] for d in first["values"]] == [5, 3]
    assert first["nextPageStart"] == 2
    rest = page(repo, state="SUCCESSFUL", start=2, limit=2)
    assert [d["deploymentSequenceNumber"] for d in rest["values"]] == [1] and rest["isLastPage"]


@pytest.mark.parametrize("url", [LISTING, ENVIRONMENTS])
@pytest.mark.parametrize("param, value", [("start", "-1"), ("limit", "-5"), ("start", "x"), ("limit", "1.5")])
def test_bad_paging_is_a_400(repo, url, param, value):
    assert_error(repo.get(url, params={param: value}), 400, context=param)


@pytest.mark.parametrize("url", ["/deployments", "/environments"])
def test_missing_project_or_repository_is_a_404(repo, url):
    assert_error(repo.get(repo_url(project="NOPE") + url), 404, NO_PROJECT)
    assert_error(repo.get(repo_url(repo="nope") + url), 404, NO_REPO)


# --- the environments listing ---------------------------------------------------------------------------


def test_one_environment_with_its_latest_and_latest_successful(repo):
    ok = deploy(repo, sha=SHA, seq=1, state="SUCCESSFUL", lastUpdated=10)
    failed = deploy(repo, sha=SHA2, seq=2, state="FAILED", lastUpdated=20)
    assert environments(repo) == [{"environment": failed["environment"], "latest": failed, "latestSuccessful": ok}]


def test_latest_successful_is_absent_until_one_succeeds(repo):
    deploy(repo, seq=1, state="IN_PROGRESS", lastUpdated=10)
    deploy(repo, seq=2, state="FAILED", lastUpdated=20)
    [env] = environments(repo)
    assert set(env) == {"environment", "latest"}
    assert env["latest"]["deploymentSequenceNumber"] == 2
    done = deploy(repo, seq=1, state="SUCCESSFUL", lastUpdated=30)  # the first one finishes
    [env] = environments(repo)
    assert env["latest"] == env["latestSuccessful"] == done


def test_latest_is_the_highest_last_updated_not_the_highest_sequence_number(repo):
    deploy(repo, seq=5, lastUpdated=100)
    deploy(repo, seq=6, lastUpdated=50)
    [env] = environments(repo)
    assert env["latest"]["deploymentSequenceNumber"] == 5
    assert env["latestSuccessful"]["deploymentSequenceNumber"] == 5


def test_latest_on_a_tie_is_the_most_recently_created(repo):
    deploy(repo, seq=9, lastUpdated=100)
    deploy(repo, seq=3, lastUpdated=100, state="FAILED")
    [env] = environments(repo)
    assert env["latest"]["deploymentSequenceNumber"] == 3
    assert env["latestSuccessful"]["deploymentSequenceNumber"] == 9


def test_environment_is_described_by_its_latest_deployment(repo):
    deploy(repo, seq=1, lastUpdated=10, environment={"key": "prod", "displayName": "Old", "type": "STAGING",
                                                     "url": "https://old.example.com"})
    deploy(repo, seq=2, lastUpdated=20, environment={"key": "prod", "displayName": "Production",
                                                     "type": "production"})
    [env] = environments(repo)
    assert env["environment"] == {"key": "prod", "displayName": "Production", "type": "PRODUCTION"}
    assert env["latestSuccessful"]["environment"] == env["environment"]


def test_one_row_per_environment_key_across_deployment_keys(repo):
    deploy(repo, key="web", env="prod", lastUpdated=10)
    api = deploy(repo, key="api", env="prod", lastUpdated=20, state="FAILED")
    deploy(repo, key="web", env="Prod", lastUpdated=5)  # environment keys are case-sensitive
    got = environments(repo)
    assert [e["environment"]["key"] for e in got] == ["prod", "Prod"]
    assert got[0]["latest"] == api and got[0]["latestSuccessful"]["key"] == "web"


def test_environments_ordered_by_their_latest_deployment(repo):
    deploy(repo, env="dev", lastUpdated=30)
    deploy(repo, env="stage", lastUpdated=20)
    deploy(repo, env="prod", lastUpdated=10)
    assert [e["environment"]["key"] for e in environments(repo)] == ["dev", "stage", "prod"]
    deploy(repo, env="prod", seq=2, lastUpdated=40)  # prod deployed again: first now
    assert [e["environment"]["key"] for e in environments(repo)] == ["prod", "dev", "stage"]
    deploy(repo, env="stage", seq=1, lastUpdated=35, state="FAILED")  # an update counts too
    assert [e["environment"]["key"] for e in environments(repo)] == ["prod", "stage", "dev"]


def test_environments_on_a_tie_most_recently_deployed_first(repo):
    for env in ("a", "b", "c"):
        deploy(repo, env=env, lastUpdated=100)
    assert [e["environment"]["key"] for e in environments(repo)] == ["c", "b", "a"]


def test_an_environment_whose_deployments_are_all_deleted_disappears(repo):
    deploy(repo, env="prod", seq=1, lastUpdated=10)
    deploy(repo, env="prod", seq=2, lastUpdated=20, sha=SHA2)
    deploy(repo, env="stage", seq=1, lastUpdated=5)
    assert repo.delete(deployments_url(SHA2), params=identity(env="prod", seq=2)).status_code == 204
    [prod, stage] = environments(repo)
    assert prod["latest"]["deploymentSequenceNumber"] == 1
    assert repo.delete(deployments_url(SHA), params=identity(env="prod", seq=1)).status_code == 204
    assert [e["environment"]["key"] for e in environments(repo)] == ["stage"]
    assert page(repo, ENVIRONMENTS)["size"] == 1
    deploy(repo, env="prod", seq=3, lastUpdated=1)  # and comes back when deployed to again
    assert [e["environment"]["key"] for e in environments(repo)] == ["stage", "prod"]


def test_deleting_the_latest_successful_falls_back_to_the_one_before(repo):
    deploy(repo, seq=1, lastUpdated=10)
    deploy(repo, seq=2, lastUpdated=20)
    deploy(repo, seq=3, lastUpdated=30, state="FAILED")
    assert environments(repo)[0]["latestSuccessful"]["deploymentSequenceNumber"] == 2
    assert repo.delete(deployments_url(), params=identity(seq=2)).status_code == 204
    assert environments(repo)[0]["latestSuccessful"]["deploymentSequenceNumber"] == 1
    assert repo.delete(deployments_url(), params=identity(seq=1)).status_code == 204
    [env] = environments(repo)
    assert "latestSuccessful" not in env and env["latest"]["deploymentSequenceNumber"] == 3


def test_environments_paging(repo):
    for i in range(7):
        deploy(repo, env=f"env-{i}", lastUpdated=i)
    first = page(repo, ENVIRONMENTS, limit=3)
    assert [e["environment"]["key"] for e in first["values"]] == ["env-6", "env-5", "env-4"]
    assert (first["isLastPage"], first["nextPageStart"], first["limit"]) == (False, 3, 3)
    second = page(repo, ENVIRONMENTS, start=3, limit=3)
    assert [e["environment"]["key"] for e in second["values"]] == ["env-3", "env-2", "env-1"]
    assert second["nextPageStart"] == 6
    last = page(repo, ENVIRONMENTS, start=6, limit=3)
    assert [e["environment"]["key"] for e in last["values"]] == ["env-0"] and last["isLastPage"]
    assert page(repo, ENVIRONMENTS, start=7)["values"] == []


def test_environments_paging_skips_emptied_environments(repo):
    for i in range(5):
        deploy(repo, env=f"env-{i}", lastUpdated=i)
    for i in (4, 2):
        assert repo.delete(deployments_url(), params=identity(env=f"env-{i}")).status_code == 204
    first = page(repo, ENVIRONMENTS, limit=2)
    assert [e["environment"]["key"] for e in first["values"]] == ["env-3", "env-1"]
    assert first["nextPageStart"] == 2
    last = page(repo, ENVIRONMENTS, start=2, limit=2)
    assert [e["environment"]["key"] for e in last["values"]] == ["env-0"] and last["isLastPage"]


def test_environments_with_a_long_history(repo, db, seed):
    """3000 deployments (seeded) to three environments: each once, with the right latest and latestSuccessful."""
    repository_id = db("SELECT id FROM repositories WHERE slug = 'repo'")[0][0]
    shas = [SHA, SHA2, SHA3]
    seed(repository_id, [(shas[i % 3], "deploy", f"env-{i % 3}", i, "SUCCESSFUL" if i % 4 == 0 else "FAILED",
                          1000 + i) for i in range(3000)])
    got = environments(repo)
    assert [e["environment"]["key"] for e in got] == ["env-2", "env-1", "env-0"]
    assert [e["latest"]["deploymentSequenceNumber"] for e in got] == [2999, 2998, 2997]
    # the newest SUCCESSFUL (i % 4 == 0) of each environment (i % 3)
    assert [e["latestSuccessful"]["deploymentSequenceNumber"] for e in got] == [2996, 2992, 2988]
    assert [e["latest"]["fromCommit"] for e in got] == [commit(SHA3), commit(SHA2), commit(SHA)]
    assert page(repo, limit=1)["values"][0]["deploymentSequenceNumber"] == 2999
    assert page(repo, state="successful", environmentKey="env-1", limit=2)["values"][1]["deploymentSequenceNumber"] \
        == 2980


@pytest.mark.parametrize("version", ["1.0", "latest"])
def test_listings_under_both_versions(repo, version):
    posted = deploy(repo, lastUpdated=3)
    assert page(repo, repo_url(version) + "/deployments")["values"] == [posted]
    assert page(repo, repo_url(version) + "/environments")["values"][0]["latest"] == posted


def test_concurrent_deployments_to_one_environment_leave_the_newest_as_latest(repo):
    # Each write refreshes its environment's row under that row's lock: none may leave a stale latest.
    def send(seq: int):
        state = "SUCCESSFUL" if seq % 2 else "FAILED"
        return repo.post(DEPLOYMENTS, json=body(seq, state=state, lastUpdated=1_000 + seq)).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(send, range(1, 17))) == {200}
    (row,) = environments(repo)
    assert (row["latest"]["deploymentSequenceNumber"], row["latestSuccessful"]["deploymentSequenceNumber"]) == (16, 15)


def test_concurrent_updates_and_deletes_in_one_environment_leave_true_pointers(repo):
    # Writers and deleters both take the deployment's row before the environment's: no deadlock (a 500),
    # and whatever the interleaving, the environment ends up pointing at what is really there.
    def send(i: int):
        seq = i % 4 + 1
        if i % 3 == 2:
            return repo.delete(DEPLOYMENTS, params=identity(seq=seq)).status_code
        state = "SUCCESSFUL" if i % 2 else "FAILED"
        return repo.post(DEPLOYMENTS, json=body(seq, state=state, lastUpdated=1_000 + i)).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(send, range(48))) <= {200, 204}
    remaining = page(repo, limit=100)["values"]  # newest first
    successful = [d for d in remaining if d["state"] == "SUCCESSFUL"]
    rows = environments(repo)
    assert [r["latest"] for r in rows] == remaining[:1]
    assert [r.get("latestSuccessful") for r in rows] == ([successful[0] if successful else None] if rows else [])


def test_the_environments_page_reads_no_whole_table_of_deployments(repo, db, db_write, seed, backend):
    """Each environment's newest deployment is looked up in the index. (Joined to it by id instead, PostgreSQL
    hashed every deployment of the repository once it had a few thousand: 6.8 ms at 10k, 100 environments.)"""
    repository_id = db("SELECT id FROM repositories WHERE slug = 'repo'")[0][0]
    seed(repository_id, [(SHA, "deploy", f"env-{i % 100}", i, "SUCCESSFUL" if i % 3 else "FAILED", 1000 + i)
                         for i in range(10000)])
    dialect = backend.app.state.engine.dialect
    if dialect.name == "postgresql":
        db_write("ANALYZE deployments")
        db_write("ANALYZE deployment_environments")
    for statement in (_ENVIRONMENTS_PAGE, _RECENT_ENVIRONMENTS_PAGE):
        statement = statement.params(repository_id=repository_id, start=0, limit=26, scan=208)
        sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        if dialect.name == "postgresql":
            plan = "\n".join(row[0] for row in db("EXPLAIN " + sql))
            assert "Seq Scan on deployments" not in plan and "Hash" not in plan, plan
        else:
            plan = [row[3] for row in db("EXPLAIN QUERY PLAN " + sql)]
            assert not [step for step in plan if step.startswith("SCAN") and "deployments" in step], plan
    assert len(environments(repo, limit=1000)) == 100



def test_the_page_found_among_the_newest_deployments_is_the_page_of_every_environment(repo, db, seed, backend,
                                                                                       monkeypatch):
    """list_environments reads the newest deployments first and falls back to every environment's newest when
    they cannot settle the page: both give the same page, whatever the activity (one environment deployed to
    far more than the others, times out of order and tied, environments whose deployments were all deleted)."""
    import random

    rng = random.Random(14)
    repository_id = db("SELECT id FROM repositories WHERE slug = 'repo'")[0][0]
    rows = []
    for i in range(3000):
        env = "busy" if rng.random() < 0.6 else f"env-{rng.randrange(40):02d}"
        state = rng.choice(("SUCCESSFUL", "FAILED", "IN_PROGRESS"))
        rows.append((SHA, rng.choice(("api", "web")), env, i, state, 1000 + rng.randrange(2500)))  # ties too
    rows += [(SHA2, "gone", "emptied", 1, "SUCCESSFUL", 5000)]
    rows += [(SHA4, "old", f"stale-{i}", 1, "SUCCESSFUL", 10 + i) for i in range(4)]  # before everything else
    seed(repository_id, rows)
    deploy(repo, SHA3, env="emptied", key="gone", seq=2)
    for seq in (1, 2):
        assert repo.delete(deployments_url(SHA3 if seq == 2 else SHA2),
                           params=identity("gone", "emptied", seq)).status_code == 204

    exact = []
    real = store._recent_page_is_exact
    monkeypatch.setattr(store, "_recent_page_is_exact", lambda *a: exact.append(real(*a)) or exact[-1])

    async def both(start: int, limit: int):
        async with backend.app.state.engine.connect() as conn:
            listed = await store.list_environments(conn, repository_id, start, limit)
            every = (await conn.execute(_ENVIRONMENTS_PAGE, {"repository_id": repository_id, "start": start,
                                                             "limit": limit})).all()
        return [(newest.id, good and good.id) for newest, good in listed], [(r[0], r[width]) for r in every]

    width = len(store.DeploymentRow._fields)  # the full statement's rows: both deployments' columns, by position
    for start, limit in ((0, 1), (0, 5), (0, 26), (3, 7), (10, 26), (25, 26), (38, 5), (41, 3), (43, 2), (0, 1001)):
        listed, every = backend.portal.call(both, start, limit)
        assert listed == every, (start, limit)
    assert True in exact and False in exact  # both ways were taken
    assert len(environments(repo, limit=1000)) == 45  # busy, env-00..39, stale-0..3; the emptied one drops out
