"""`cairn verdict`: a merge gate for any pipeline, asking a cairn server for the required-builds verdict."""

from __future__ import annotations

import sys

import click
import httpx

# Exit codes: the merge may proceed, it may not, or the verdict could not be had.
MAY_MERGE, MAY_NOT_MERGE, ERROR = 0, 1, 2


def _error(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(ERROR)


def _describe(verdict: dict) -> str:
    lines = ["Merge may proceed." if verdict["canMerge"] else "Merge is blocked."]
    for veto in verdict["vetoes"]:
        lines.append(f"  {veto['summaryMessage']}: {veto['detailedMessage']}")
    for condition in verdict["conditions"]:
        keys = ", ".join(condition["buildParentKeys"])
        if not condition["applies"]:
            lines.append(f"  condition {condition['id']} ({keys}): does not apply")
        elif not condition["unmet"]:
            lines.append(f"  condition {condition['id']} ({keys}): met")
        else:
            unmet = ", ".join(f"{u['key']} {u['state']}" for u in condition["unmet"])
            lines.append(f"  condition {condition['id']} ({keys}): unmet: {unmet}")
    return "\n".join(lines)


@click.command()
@click.option("--server", required=True, help="cairn's base URL, e.g. https://ci.example.com/bitbucket")
@click.option("--token", envvar="CAIRN_TOKEN", required=True, help="a personal access token (or CAIRN_TOKEN)")
@click.argument("repository", metavar="PROJECT/REPO")
@click.option("--source", help="the ref being merged (exemptions apply to it)")
@click.option("--target", required=True, help="the ref merged into, e.g. main or refs/heads/main")
@click.option("--commit", required=True, help="the full commit id being merged")
def verdict(server: str, token: str, repository: str, source: str | None, target: str, commit: str) -> None:
    """Print the required-builds verdict; exit 0 when the merge may proceed, 1 when not, 2 on error."""
    project, _, slug = repository.partition("/")
    if not project or not slug:
        _error("the repository is PROJECT/REPO, e.g. PRJ/my-repo")
    url = f"{server.rstrip('/')}/rest/required-builds/latest/projects/{project}/repos/{slug}/verdict"
    params = {"targetRef": target, "commitId": commit, **({"sourceRef": source} if source else {})}
    try:
        response = httpx.get(url, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    except httpx.HTTPError as exc:
        _error(f"cannot reach {server}: {exc}")
    if response.status_code != 200:
        try:
            message = response.json()["errors"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            message = response.text[:200]
        _error(f"{response.status_code} from {server}: {message}")
    try:
        body = response.json()
        description = _describe(body)
    except (ValueError, KeyError, TypeError):
        _error(f"{server} did not answer with a verdict: is it a cairn server?")
    click.echo(description)
    sys.exit(MAY_MERGE if body["canMerge"] else MAY_NOT_MERGE)
