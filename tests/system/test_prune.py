"""`cairn prune`: old statuses, reports (with annotations) and deployments go, in batches; each environment
keeps its latest and latest successful deployment; --dry-run only counts."""

from __future__ import annotations

from click.testing import CliRunner

from cairn.cli import main
from tests.fixtures.api import SHA, SHA2

API = "/rest/api/latest/projects/PRJ/repos/repo"
INSIGHTS = "/rest/insights/latest/projects/PRJ/repos/repo"


def _deploy(api, n: int, env: str, state: str) -> None:
    r = api.post(f"{API}/commits/{SHA}/deployments", json={
        "deploymentSequenceNumber": n, "key": "web", "displayName": f"web #{n}", "description": "d",
        "url": "https://ci.example/d", "state": state, "environment": {"key": env, "displayName": env}})
    assert r.status_code == 200, r.text


def test_prune_deletes_old_history_but_keeps_what_is_deployed_where(repo, db, db_write, backend, monkeypatch):
    api = repo
    for sha, key in ((SHA, "old"), (SHA, "new"), (SHA2, "old2")):
        assert api.post(f"{API}/commits/{sha}/builds", json={"key": key, "state": "SUCCESSFUL",
                                                             "url": "https://ci.example/1"}).status_code == 204
    assert api.post(f"/rest/build-status/latest/commits/{SHA}", json={
        "key": "legacy", "state": "FAILED", "url": "https://ci.example/2"}).status_code == 204
    for key in ("stale", "fresh"):
        assert api.put(f"{INSIGHTS}/commits/{SHA}/reports/{key}", json={"title": key}).status_code == 200
    assert api.post(f"{INSIGHTS}/commits/{SHA}/reports/stale/annotations", json={"annotations": [
        {"message": f"m{i}", "severity": "LOW"} for i in range(3)]}).status_code == 204
    _deploy(api, 1, "prod", "SUCCESSFUL")
    _deploy(api, 2, "prod", "FAILED")
    _deploy(api, 3, "prod", "FAILED")
    _deploy(api, 1, "staging", "SUCCESSFUL")
    db_write("UPDATE build_statuses SET updated_date = 1000 WHERE key IN ('old', 'old2', 'legacy')")
    db_write("UPDATE insight_reports SET created_date = 1000 WHERE key = 'stale'")
    db_write("UPDATE deployments SET last_updated = 1000")
    monkeypatch.setenv("CAIRN_DATABASE_URL", str(backend.app.state.settings.database_url))
    monkeypatch.setenv("CAIRN_ADMIN_USERNAME", "")
    monkeypatch.setattr("cairn.cli.prune.BATCH", 1)  # many batches, as on a big history

    dry = CliRunner().invoke(main, ["prune", "--older-than", "90d", "--dry-run"], catch_exceptions=False)
    assert dry.exit_code == 0, dry.output
    assert "would delete 3 build statuses" in dry.output and "would delete 1 reports" in dry.output
    assert "would delete 1 deployments" in dry.output
    assert db("SELECT count(*) FROM build_statuses")[0][0] == 4  # nothing went

    done = CliRunner().invoke(main, ["prune", "--older-than", "90d"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "deleted 3 build statuses" in done.output and "deleted 1 reports" in done.output
    assert "deleted 1 deployments" in done.output
    assert [s["key"] for s in api.get(f"{API}/commits/{SHA}/builds").json()["values"]] == ["new"]
    assert [r["key"] for r in api.get(f"{INSIGHTS}/commits/{SHA}/reports").json()["values"]] == ["fresh"]
    assert db("SELECT count(*) FROM insight_annotations")[0][0] == 0  # they went with their report
    left = db("SELECT environment_key, sequence_number FROM deployments ORDER BY environment_key, sequence_number")
    assert [tuple(r) for r in left] == [("prod", 1), ("prod", 3), ("staging", 1)]  # latest and latest successful
    environments = {e["environment"]["key"]: e for e in api.get(f"{API}/environments").json()["values"]}
    assert environments["prod"]["latest"]["deploymentSequenceNumber"] == 3
    assert environments["prod"]["latestSuccessful"]["deploymentSequenceNumber"] == 1

    bad = CliRunner().invoke(main, ["prune", "--older-than", "soon"])
    assert bad.exit_code != 0 and "90d" in bad.output
