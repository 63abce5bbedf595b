"""`python -m bench.pages`: how long the UI's pages take to render server-side as a repository's history grows.

Per backend (SQLite file, and PostgreSQL when CAIRN_BENCH_POSTGRES_URL or CAIRN_TEST_POSTGRES_URL names a
server), a fresh database gets PRJ/repo through the API, then straight into the tables: 100,000 build statuses
(3 per commit), 10,000 reports and 10,000 deployments over 100 environments; one commit gets a report with
1000 annotations through the API. The app runs in-process (httpx's ASGI transport, signed in with a session
cookie), so the figures are the server's own time per page, without a network or a browser. The table shows
the median and the slowest of --repeat requests per page; the budget is 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from cairn.app import create_app
from cairn.config import Settings
from cairn.deployments import store as deployment_store
from cairn.models import build_statuses, deployments, insight_reports
from tests.fixtures.postgres import create_database, drop_database

STATUSES, REPORTS, DEPLOYMENTS, ENVIRONMENTS = 100_000, 10_000, 10_000, 100
ADMIN = ("admin", "admin")
REPO = "/projects/PRJ/repos/repo"
ANNOTATED = f"{7:040x}"
START = 1_700_000_000_000  # the seeded history's first millisecond; each status is a second after the last


def sha(n: int) -> str:
    return f"{n:040x}"


async def seed(app, client: httpx.AsyncClient) -> None:
    assert (await client.post("/rest/api/latest/projects", json={"key": "PRJ", "name": "P"}, auth=ADMIN)).status_code == 201
    assert (await client.post("/rest/api/latest/projects/PRJ/repos", json={"name": "repo"}, auth=ADMIN)).status_code == 201
    states = ("SUCCESSFUL", "FAILED", "INPROGRESS")
    async with app.state.engine.begin() as conn:
        rows = [{"repository_id": 1, "commit_id": sha(i // 3), "key": f"k{i % 3}", "state": states[(i // 3) % 3 if i % 3 == 0 else 0],
                 "url": "https://ci.example/x", "created_date": START + i * 1000, "updated_date": START + i * 1000}
                for i in range(STATUSES)]
        for n in range(0, len(rows), 10_000):
            await conn.execute(build_statuses.insert(), rows[n:n + 10_000])
        await conn.execute(insight_reports.insert(), [
            {"repository_id": 1, "commit_id": sha(i * 3), "key": "lint", "title": "Lint", "result": "PASS", "data": "[]",
             "created_date": START + i * 10_000} for i in range(REPORTS)])
        await conn.execute(deployments.insert(), [
            {"repository_id": 1, "commit_id": sha(i * 3), "key": "web", "environment_key": f"env{i % ENVIRONMENTS}",
             "sequence_number": i, "display_name": f"web #{i}", "description": "d", "url": "https://ci.example/d",
             "state": "SUCCESSFUL" if i % 4 else "FAILED", "environment_display_name": f"Env {i % ENVIRONMENTS}",
             "environment_type": "TESTING", "last_updated": START + i * 10_000} for i in range(DEPLOYMENTS)])
        for e in range(ENVIRONMENTS):
            await deployment_store.lock_environment(conn, 1, f"env{e}")
            await deployment_store.refresh_environment(conn, 1, f"env{e}")
    if app.state.engine.dialect.name == "postgresql":
        # What autovacuum does after a bulk change; the seed writes faster than it runs.
        async with app.state.engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
    reports = f"/rest/insights/latest{REPO}/commits/{ANNOTATED}/reports/big"
    assert (await client.put(reports, json={"title": "Big"}, auth=ADMIN)).status_code == 200
    annotations = [{"path": f"src/f{i % 50}.py", "line": i, "message": f"issue {i}", "severity": "HIGH",
                    "type": "BUG"} for i in range(1000)]
    r = await client.post(reports + "/annotations", json={"annotations": annotations}, auth=ADMIN)
    assert r.status_code == 204, r.text


PAGES = {"repository": f"{REPO}/browse", "repository, failed only": f"{REPO}/browse?state=FAILED",
         "repository, mid-history page": f"{REPO}/browse?before={START + STATUSES * 500}_{'f' * 40}",
         "commit, 1000 annotations": f"{REPO}/commits/{ANNOTATED}", "environments": f"{REPO}/environments",
         "front page": "/"}


async def measure(url: str, repeat: int) -> dict[str, tuple[float, float]]:
    settings = Settings(home=Path(tempfile.mkdtemp()), database_url=url, admin_username=ADMIN[0],
                        admin_password=ADMIN[1], argon2_profile="cheapest")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await seed(app, client)
            login = await client.get("/login")
            csrf = login.text.split('name="csrf" value="')[1].split('"')[0]
            r = await client.post("/login", data={"csrf": csrf, "username": ADMIN[0], "password": ADMIN[1]})
            assert r.status_code == 303, r.text
            results = {}
            for name, path in PAGES.items():
                times = []
                for _ in range(repeat + 2):
                    began = time.perf_counter()
                    r = await client.get(path)
                    times.append((time.perf_counter() - began) * 1000)
                    assert r.status_code == 200, (path, r.status_code)
                times = times[2:]  # the first two warm the caches
                results[name] = (statistics.median(times), max(times))
            return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    backends = {"sqlite": None}
    pg = os.environ.get("CAIRN_BENCH_POSTGRES_URL") or os.environ.get("CAIRN_TEST_POSTGRES_URL")
    if pg:
        backends["postgresql"] = pg
    print(f"{'page':28} {'backend':11} {'median ms':>10} {'max ms':>8}")
    for backend in backends:
        drop = None
        if backend == "sqlite":
            url = f"sqlite:///{tempfile.mkdtemp()}/cairn.db"
        else:
            name, url = create_database("cairn_bench_pages")
            drop = name
        try:
            for page, (median, slowest) in asyncio.run(measure(url, args.repeat)).items():
                print(f"{page:28} {backend:11} {median:10.1f} {slowest:8.1f}")
        finally:
            if drop:
                drop_database(drop)


if __name__ == "__main__":
    main()
