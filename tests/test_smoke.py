from tests.fixtures.api import SHA


def test_status_and_build_roundtrip(api):
    assert api.get("/status").json() == {"state": "RUNNING"}
    api.project()
    api.repo()
    r = api.post(f"/rest/api/latest/projects/PRJ/repos/repo/commits/{SHA}/builds",
                 json={"key": "K", "state": "SUCCESSFUL", "url": "http://ci/1"})
    assert r.status_code == 204, r.text
    r = api.get(f"/rest/api/latest/projects/PRJ/repos/repo/commits/{SHA}/builds", params={"key": "K"})
    assert r.json()["state"] == "SUCCESSFUL"
