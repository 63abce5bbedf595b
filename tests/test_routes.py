"""The route table: every route declares a permission, answers under 1.0 and latest, and is pinned."""

from cairn.api import declared_permissions, route_table
from cairn.kit.routing import FAST_PATH
from cairn.lane import FastLane
from tests.fixtures.api import SHA


def test_every_route_declares_a_permission():
    missing = [f"{methods} {path}" for methods, path, route in route_table() if not declared_permissions(route.dependant)]
    assert len(list(route_table())) > 60
    assert missing == []


def test_every_module_answers_under_both_versions():
    paths = {(methods, path) for methods, path, _ in route_table() if path.startswith("/rest/")}
    for methods, path in paths:
        parts = path.split("/")
        if len(parts) > 3 and parts[3] in ("1.0", "latest"):
            other = "latest" if parts[3] == "1.0" else "1.0"
            assert (methods, "/".join(parts[:3] + [other] + parts[4:])) in paths, path


def test_route_table_is_pinned():
    table = sorted(f"{methods} {path}" for methods, path, _ in route_table() if "/1.0/" not in path)
    assert table == [
        "DELETE /rest/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}/{tokenId}",
        "DELETE /rest/access-tokens/latest/projects/{projectKey}/{tokenId}",
        "DELETE /rest/access-tokens/latest/users/{userSlug}/{tokenId}",
        "DELETE /rest/api/latest/admin/groups",
        "DELETE /rest/api/latest/admin/permissions/groups",
        "DELETE /rest/api/latest/admin/permissions/users",
        "DELETE /rest/api/latest/admin/rate-limit/settings/users/{userSlug}",
        "DELETE /rest/api/latest/admin/users",
        "DELETE /rest/api/latest/projects/{projectKey}",
        "DELETE /rest/api/latest/projects/{projectKey}/permissions/groups",
        "DELETE /rest/api/latest/projects/{projectKey}/permissions/users",
        "DELETE /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}",
        "DELETE /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/builds",
        "DELETE /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/deployments",
        "DELETE /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/permissions/groups",
        "DELETE /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/permissions/users",
        "DELETE /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks/{webhookId}",
        "DELETE /rest/api/latest/projects/{projectKey}/webhooks/{webhookId}",
        "DELETE /rest/branch-utils/latest/projects/{projectKey}/repos/{repositorySlug}/branchmodel/configuration",
        "DELETE /rest/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}",
        "DELETE /rest/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}/annotations",
        "DELETE /rest/required-builds/latest/projects/{projectKey}/repos/{repositorySlug}/condition/{id}",
        "GET /rest/access-tokens/latest/projects/{projectKey}",
        "GET /rest/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}",
        "GET /rest/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}/{tokenId}",
        "GET /rest/access-tokens/latest/projects/{projectKey}/{tokenId}",
        "GET /rest/access-tokens/latest/users/{userSlug}",
        "GET /rest/access-tokens/latest/users/{userSlug}/{tokenId}",
        "GET /rest/api/latest/admin/groups",
        "GET /rest/api/latest/admin/groups/more-members",
        "GET /rest/api/latest/admin/groups/more-non-members",
        "GET /rest/api/latest/admin/permissions/groups",
        "GET /rest/api/latest/admin/permissions/groups/none",
        "GET /rest/api/latest/admin/permissions/users",
        "GET /rest/api/latest/admin/rate-limit/history",
        "GET /rest/api/latest/admin/rate-limit/settings",
        "GET /rest/api/latest/admin/rate-limit/settings/users",
        "GET /rest/api/latest/admin/rate-limit/settings/users/{userSlug}",
        "GET /rest/api/latest/admin/users",
        "GET /rest/api/latest/admin/users/more-members",
        "GET /rest/api/latest/admin/users/more-non-members",
        "GET /rest/api/latest/application-properties",
        "GET /rest/api/latest/build/capabilities",
        "GET /rest/api/latest/deployment/capabilities",
        "GET /rest/api/latest/groups",
        "GET /rest/api/latest/projects",
        "GET /rest/api/latest/projects/{projectKey}",
        "GET /rest/api/latest/projects/{projectKey}/permissions/groups",
        "GET /rest/api/latest/projects/{projectKey}/permissions/groups/none",
        "GET /rest/api/latest/projects/{projectKey}/permissions/users",
        "GET /rest/api/latest/projects/{projectKey}/repos",
        "GET /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}",
        "GET /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/builds",
        "GET /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/deployments",
        "GET /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/default-branch",
        "GET /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/deployments",
        "GET /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/environments",
        "GET /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/permissions/groups",
        "GET /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/permissions/groups/none",
        "GET /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/permissions/users",
        "GET /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks",
        "GET /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks/search",
        "GET /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks/{webhookId}",
        "GET /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks/{webhookId}/latest",
        "GET /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks/{webhookId}/statistics",
        "GET /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks/{webhookId}/statistics/summary",
        "GET /rest/api/latest/projects/{projectKey}/webhooks",
        "GET /rest/api/latest/projects/{projectKey}/webhooks/{webhookId}",
        "GET /rest/api/latest/projects/{projectKey}/webhooks/{webhookId}/latest",
        "GET /rest/api/latest/projects/{projectKey}/webhooks/{webhookId}/statistics",
        "GET /rest/api/latest/projects/{projectKey}/webhooks/{webhookId}/statistics/summary",
        "GET /rest/branch-utils/latest/projects/{projectKey}/repos/{repositorySlug}/branchmodel",
        "GET /rest/branch-utils/latest/projects/{projectKey}/repos/{repositorySlug}/branchmodel/configuration",
        "GET /rest/build-status/latest/commits/stats/{commitId}",
        "GET /rest/build-status/latest/commits/{commitId}",
        "GET /rest/cairn/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/events",
        "GET /rest/cairn/latest/projects/{projectKey}/repos/{repositorySlug}/events",
        "GET /rest/cairn/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks/{webhookId}/deliveries",
        "GET /rest/cairn/latest/projects/{projectKey}/webhooks/{webhookId}/deliveries",
        "GET /rest/capabilities",
        "GET /rest/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/annotations",
        "GET /rest/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports",
        "GET /rest/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}",
        "GET /rest/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}/annotations",
        "GET /rest/required-builds/latest/projects/{projectKey}/repos/{repositorySlug}/conditions",
        "GET /rest/required-builds/latest/projects/{projectKey}/repos/{repositorySlug}/verdict",
        "GET /status",
        "GET,HEAD /rest/",
        "POST /rest/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}/{tokenId}",
        "POST /rest/access-tokens/latest/projects/{projectKey}/{tokenId}",
        "POST /rest/access-tokens/latest/users/{userSlug}/{tokenId}",
        "POST /rest/api/latest/admin/groups",
        "POST /rest/api/latest/admin/groups/add-user",
        "POST /rest/api/latest/admin/groups/add-users",
        "POST /rest/api/latest/admin/groups/remove-user",
        "POST /rest/api/latest/admin/rate-limit/settings/users",
        "POST /rest/api/latest/admin/users",
        "POST /rest/api/latest/admin/users/add-group",
        "POST /rest/api/latest/admin/users/add-groups",
        "POST /rest/api/latest/admin/users/remove-group",
        "POST /rest/api/latest/projects",
        "POST /rest/api/latest/projects/{projectKey}/repos",
        "POST /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/builds",
        "POST /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/deployments",
        "POST /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks",
        "POST /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks/test",
        "POST /rest/api/latest/projects/{projectKey}/webhooks",
        "POST /rest/api/latest/projects/{projectKey}/webhooks/test",
        "POST /rest/build-status/latest/commits/stats",
        "POST /rest/build-status/latest/commits/{commitId}",
        "POST /rest/cairn/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver",
        "POST /rest/cairn/latest/projects/{projectKey}/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver",
        "POST /rest/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}/annotations",
        "POST /rest/required-builds/latest/projects/{projectKey}/repos/{repositorySlug}/condition",
        "PUT /rest/access-tokens/latest/projects/{projectKey}",
        "PUT /rest/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}",
        "PUT /rest/access-tokens/latest/users/{userSlug}",
        "PUT /rest/api/latest/admin/permissions/groups",
        "PUT /rest/api/latest/admin/permissions/users",
        "PUT /rest/api/latest/admin/rate-limit/settings",
        "PUT /rest/api/latest/admin/rate-limit/settings/users/{userSlug}",
        "PUT /rest/api/latest/projects/{projectKey}",
        "PUT /rest/api/latest/projects/{projectKey}/permissions/groups",
        "PUT /rest/api/latest/projects/{projectKey}/permissions/users",
        "PUT /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}",
        "PUT /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/default-branch",
        "PUT /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/permissions/groups",
        "PUT /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/permissions/users",
        "PUT /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks/{webhookId}",
        "PUT /rest/api/latest/projects/{projectKey}/webhooks/{webhookId}",
        "PUT /rest/branch-utils/latest/projects/{projectKey}/repos/{repositorySlug}/branchmodel/configuration",
        "PUT /rest/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}",
        "PUT /rest/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}/annotations/{externalId}",
        "PUT /rest/required-builds/latest/projects/{projectKey}/repos/{repositorySlug}/condition/{id}",
    ]


def test_the_fast_lane_answers_exactly_the_routes_that_declare_a_fast_path():
    """Each route says whether cairn.lane answers it (kit/routing.fast_path); the lane matches no other path."""
    lane = FastLane(None, route_table())
    declared = []
    for methods, template, route in route_table():
        name = getattr(route.endpoint, FAST_PATH, None)
        path = template.replace("{commitId}", SHA).replace("{", "").replace("}", "")  # {key} -> key, ...
        for method in methods.split(","):
            found = lane.route_for(method, path)
            if name is None:
                assert found is None or found[0] != template, f"{method} {template}"
            else:
                declared.append(f"{method} {template}")
                assert found is not None and found[0] == template and found[1].__name__ == name, template
                if SHA in path:
                    assert lane.route_for(method, path.replace(SHA, SHA[:12])) is None  # a short id: the full app's
    assert sorted(d for d in declared if "/1.0/" not in d) == [
        "GET /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/environments",
        "GET /rest/build-status/latest/commits/stats/{commitId}",
        "GET /rest/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}"
        "/annotations",
        "POST /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/builds",
        "POST /rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/deployments",
        "POST /rest/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}"
        "/annotations",
    ]
    assert len(declared) == 12  # each under 1.0 and latest
