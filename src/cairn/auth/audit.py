"""The audit trail: who created, changed or deleted users, groups, grants, tokens, projects, repositories,
settings and conditions, and who deleted statuses, reports, annotations and deployments.

Routes are audited by the table below (the hot writes, a build status, a report, annotations, a deployment,
are not: their delete is). `AuditTrail` runs after the handler succeeded and writes in its transaction, so an
entry exists exactly when the change committed. Only the names of what changed are kept (an allowlist of
parameters): never a password, token or other secret.
"""

from __future__ import annotations

import json
from fastapi import Depends, Request

from cairn.auth import store
from cairn.auth.principal import Principal
from cairn.db.uow import Conn
from cairn.kit.clock import now_ms

_TOKENS = "/rest/access-tokens/latest"
_API = "/rest/api/latest"
_REPO = "/projects/{projectKey}/repos/{repositorySlug}"
_COMMIT = _REPO + "/commits/{commitId}"
_REDELIVER = "/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver"
# (method, route path under /latest) -> action
ACTIONS = {
    ("POST", f"{_API}/admin/users"): "USER_CREATED",
    ("DELETE", f"{_API}/admin/users"): "USER_DELETED",
    ("PUT", f"{_API}/admin/permissions/users"): "GLOBAL_PERMISSION_GRANTED",
    ("DELETE", f"{_API}/admin/permissions/users"): "GLOBAL_PERMISSION_REVOKED",
    ("POST", f"{_API}/admin/groups"): "GROUP_CREATED",
    ("DELETE", f"{_API}/admin/groups"): "GROUP_DELETED",
    ("POST", f"{_API}/admin/groups/add-user"): "GROUP_MEMBERS_ADDED",
    ("POST", f"{_API}/admin/groups/add-users"): "GROUP_MEMBERS_ADDED",
    ("POST", f"{_API}/admin/users/add-group"): "GROUP_MEMBERS_ADDED",
    ("POST", f"{_API}/admin/users/add-groups"): "GROUP_MEMBERS_ADDED",
    ("POST", f"{_API}/admin/groups/remove-user"): "GROUP_MEMBER_REMOVED",
    ("POST", f"{_API}/admin/users/remove-group"): "GROUP_MEMBER_REMOVED",
    ("PUT", f"{_API}/admin/permissions/groups"): "GLOBAL_PERMISSION_GRANTED",
    ("DELETE", f"{_API}/admin/permissions/groups"): "GLOBAL_PERMISSION_REVOKED",
    ("PUT", f"{_API}/admin/rate-limit/settings"): "RATE_LIMIT_SETTINGS_CHANGED",
    ("POST", f"{_API}/admin/rate-limit/settings/users"): "USER_RATE_LIMIT_CHANGED",
    ("PUT", f"{_API}/admin/rate-limit/settings/users/{{userSlug}}"): "USER_RATE_LIMIT_CHANGED",
    ("DELETE", f"{_API}/admin/rate-limit/settings/users/{{userSlug}}"): "USER_RATE_LIMIT_CHANGED",
    ("POST", f"{_API}/projects"): "PROJECT_CREATED",
    ("PUT", f"{_API}/projects/{{projectKey}}"): "PROJECT_CHANGED",
    ("DELETE", f"{_API}/projects/{{projectKey}}"): "PROJECT_DELETED",
    ("PUT", f"{_API}/projects/{{projectKey}}/permissions/users"): "PROJECT_PERMISSION_GRANTED",
    ("DELETE", f"{_API}/projects/{{projectKey}}/permissions/users"): "PROJECT_PERMISSION_REVOKED",
    ("PUT", f"{_API}/projects/{{projectKey}}/permissions/groups"): "PROJECT_PERMISSION_GRANTED",
    ("DELETE", f"{_API}/projects/{{projectKey}}/permissions/groups"): "PROJECT_PERMISSION_REVOKED",
    ("POST", f"{_API}/projects/{{projectKey}}/repos"): "REPOSITORY_CREATED",
    ("PUT", f"{_API}{_REPO}"): "REPOSITORY_CHANGED",
    ("DELETE", f"{_API}{_REPO}"): "REPOSITORY_DELETED",
    ("PUT", f"{_API}{_REPO}/default-branch"): "REPOSITORY_CHANGED",
    ("PUT", f"{_API}{_REPO}/permissions/users"): "REPOSITORY_PERMISSION_GRANTED",
    ("DELETE", f"{_API}{_REPO}/permissions/users"): "REPOSITORY_PERMISSION_REVOKED",
    ("PUT", f"{_API}{_REPO}/permissions/groups"): "REPOSITORY_PERMISSION_GRANTED",
    ("DELETE", f"{_API}{_REPO}/permissions/groups"): "REPOSITORY_PERMISSION_REVOKED",
    ("DELETE", f"{_API}{_COMMIT}/builds"): "BUILD_STATUS_DELETED",
    ("DELETE", f"{_API}{_COMMIT}/deployments"): "DEPLOYMENT_DELETED",
    ("DELETE", f"/rest/insights/latest{_COMMIT}/reports/{{key}}"): "REPORT_DELETED",
    ("DELETE", f"/rest/insights/latest{_COMMIT}/reports/{{key}}/annotations"): "ANNOTATIONS_DELETED",
    ("POST", f"/rest/required-builds/latest{_REPO}/condition"): "REQUIRED_BUILDS_CONDITION_CREATED",
    ("PUT", f"/rest/required-builds/latest{_REPO}/condition/{{id}}"): "REQUIRED_BUILDS_CONDITION_CHANGED",
    ("DELETE", f"/rest/required-builds/latest{_REPO}/condition/{{id}}"): "REQUIRED_BUILDS_CONDITION_DELETED",
    ("PUT", f"/rest/branch-utils/latest{_REPO}/branchmodel/configuration"): "BRANCH_MODEL_CHANGED",
    ("DELETE", f"/rest/branch-utils/latest{_REPO}/branchmodel/configuration"): "BRANCH_MODEL_CHANGED",
    ("POST", f"{_API}{_REPO}/webhooks"): "WEBHOOK_CREATED",
    ("PUT", f"{_API}{_REPO}/webhooks/{{webhookId}}"): "WEBHOOK_CHANGED",
    ("DELETE", f"{_API}{_REPO}/webhooks/{{webhookId}}"): "WEBHOOK_DELETED",
    ("POST", f"{_API}/projects/{{projectKey}}/webhooks"): "WEBHOOK_CREATED",
    ("PUT", f"{_API}/projects/{{projectKey}}/webhooks/{{webhookId}}"): "WEBHOOK_CHANGED",
    ("DELETE", f"{_API}/projects/{{projectKey}}/webhooks/{{webhookId}}"): "WEBHOOK_DELETED",
    ("POST", f"/rest/cairn/latest{_REPO}{_REDELIVER}"): "WEBHOOK_REDELIVERED",
    ("POST", f"/rest/cairn/latest/projects/{{projectKey}}{_REDELIVER}"): "WEBHOOK_REDELIVERED",
    ("PUT", f"{_TOKENS}/users/{{userSlug}}"): "ACCESS_TOKEN_CREATED",
    ("POST", f"{_TOKENS}/users/{{userSlug}}/{{tokenId}}"): "ACCESS_TOKEN_CHANGED",
    ("DELETE", f"{_TOKENS}/users/{{userSlug}}/{{tokenId}}"): "ACCESS_TOKEN_DELETED",
    ("PUT", f"{_TOKENS}/projects/{{projectKey}}"): "ACCESS_TOKEN_CREATED",
    ("POST", f"{_TOKENS}/projects/{{projectKey}}/{{tokenId}}"): "ACCESS_TOKEN_CHANGED",
    ("DELETE", f"{_TOKENS}/projects/{{projectKey}}/{{tokenId}}"): "ACCESS_TOKEN_DELETED",
    ("PUT", f"{_TOKENS}{_REPO}"): "ACCESS_TOKEN_CREATED",
    ("POST", f"{_TOKENS}{_REPO}/{{tokenId}}"): "ACCESS_TOKEN_CHANGED",
    ("DELETE", f"{_TOKENS}{_REPO}/{{tokenId}}"): "ACCESS_TOKEN_DELETED",
}
# Writes kept out of the trail on purpose: the hot ones (their deletes are audited), and reads sent as POST.
NOT_AUDITED = {
    ("POST", f"{_API}{_COMMIT}/builds"), ("POST", f"{_API}{_COMMIT}/deployments"),
    ("POST", "/rest/build-status/latest/commits/{commitId}"), ("POST", "/rest/build-status/latest/commits/stats"),
    ("PUT", f"/rest/insights/latest{_COMMIT}/reports/{{key}}"),
    ("POST", f"/rest/insights/latest{_COMMIT}/reports/{{key}}/annotations"),
    ("PUT", f"/rest/insights/latest{_COMMIT}/reports/{{key}}/annotations/{{externalId}}"),
    ("POST", f"{_API}{_REPO}/webhooks/test"), ("POST", f"{_API}/projects/{{projectKey}}/webhooks/test"),
}
# What is kept of a request: the names of what changed, never a secret (a password is a query parameter).
_KEPT = frozenset({"name", "permission", "key", "externalId", "context", "itemName", "group", "users", "user",
                   "groups", "permissions", "expiryDays", "usernames", "whitelisted", "enabled", "defaultSettings",
                   "settings", "public", "displayName", "emailAddress", "deploymentSequenceNumber",
                   "environmentKey", "refMatcher", "buildParentKeys", "exemptRefMatcher", "id", "url", "events",
                   "active"})


def route_key(method: str, path: str) -> tuple[str, str]:
    return method, path.replace("/1.0/", "/latest/", 1)


async def _kept(request: Request) -> dict:
    details = {k: v for k, v in request.path_params.items() if k not in ("projectKey", "repositorySlug")}
    for name in request.query_params:
        if name in _KEPT:
            values = request.query_params.getlist(name)
            details[name] = values if len(values) > 1 else values[0]
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            body = None
        if isinstance(body, dict):
            details.update({k: v for k, v in body.items() if k in _KEPT})
    return details


async def record(conn, principal: Principal | None, address: str | None, action: str, details: dict,
                 project_key: str | None = None, repository_slug: str | None = None) -> None:
    await store.insert_audit_event(conn, created_date=now_ms(), actor_id=principal and principal.user_id,
                                   actor_name=principal and principal.name, address=address, action=action,
                                   project_key=project_key and project_key.upper(),
                                   repository_slug=repository_slug and repository_slug.lower(),
                                   details=json.dumps(details, separators=(",", ":"), sort_keys=True))


def names_target(request: Request, project_key: str | None = None, repository_slug: str | None = None) -> None:
    """What a creating route made, for its entry (the path cannot say: the new key or slug is in the body)."""
    request.state.audit_target = {"projectKey": project_key, "repositorySlug": repository_slug}


async def _trail(request: Request, conn: Conn):
    yield  # the handler runs; an error it raises passes through, and nothing is recorded
    route = request.scope.get("route")
    prefix = "/".join(request.url.path.split("/")[:4])  # /rest/<module>/<version>: the route's path is below it
    action = route and ACTIONS.get(route_key(request.method, prefix + route.path))
    if action:
        client = request.client
        target = {**request.path_params, **{k: v for k, v in getattr(request.state, "audit_target", {}).items() if v}}
        await record(conn, getattr(request.state, "principal", None), client.host if client else None, action,
                     await _kept(request), target.get("projectKey"), target.get("repositorySlug"))


AuditTrail = Depends(_trail, scope="function")  # like Conn: it writes before the commit
