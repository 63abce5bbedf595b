"""The server's own OpenAPI document describes every route with the shapes and codes it really uses."""

import re
from datetime import datetime

import pytest

from cairn.api import route_table
from tests.fixtures.api import SHA

BASE = "http://cairn.test:7990/bitbucket"
JSON = "application/json;charset=UTF-8"
BUILDS = "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/builds"
STATS = "/rest/build-status/latest/commits/stats/{commitId}"
STATES = ["SUCCESSFUL", "FAILED", "INPROGRESS", "CANCELLED", "UNKNOWN"]


@pytest.fixture(scope="module")
def doc(backend):
    r = backend.get("/rest/openapi.json")
    assert r.status_code == 200
    return r.json()


def _resolve(doc, schema):
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _conforms(doc, value, schema, where="$"):
    """Enough of JSON Schema to check a real body against the documented one (no new dependency)."""
    schema = _resolve(doc, schema)
    if "anyOf" in schema:
        failures = []
        for option in schema["anyOf"]:
            try:
                _conforms(doc, value, option, where)
                return
            except AssertionError as failure:
                failures.append(str(failure))
        raise AssertionError(f"{where}: matches no option: {failures}")
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    kind = schema.get("type")
    checks = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
    if kind == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: {value!r} is not an integer"
    elif kind in checks:
        assert isinstance(value, checks[kind]), f"{where}: {value!r} is not {kind}"
    if kind == "object" or "properties" in schema:
        missing = set(schema.get("required", [])) - set(value)
        assert not missing, f"{where}: missing {missing}"
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for name, member in value.items():
            if name in properties:
                _conforms(doc, member, properties[name], f"{where}.{name}")
            elif isinstance(extra, dict):
                _conforms(doc, member, extra, f"{where}.{name}")
            else:
                assert properties == {} or extra is True, f"{where}: undocumented member {name!r}"
    if kind == "array" and "items" in schema:
        for i, item in enumerate(value):
            _conforms(doc, item, schema["items"], f"{where}[{i}]")


def _response_schema(doc, path, method, status):
    response = doc["paths"][path][method]["responses"][str(status)]
    return response["content"][JSON]["schema"]


# --- the document and the page ----------------------------------------------------------------------

def test_the_document_is_served_and_names_the_public_base_url(doc):
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "cairn"
    assert doc["servers"] == [{"url": BASE}]


def test_every_route_of_the_route_table_is_documented(doc):
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    expected = {(path, method) for methods, path, _ in route_table() for method in methods.split(",")}
    assert expected - documented == set()
    assert documented - expected == set()  # nothing documented that does not exist


def test_operation_ids_are_unique(doc):
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_the_interactive_page_loads_the_document_through_the_context_path(backend):
    for path in ("/rest/docs", "/bitbucket/rest/docs"):
        r = backend.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert "swagger" in r.text.lower()
        # Works behind a proxy that strips the context path and straight at the server alike.
        assert "'/bitbucket/rest/openapi.json'" in r.text or '"/bitbucket/rest/openapi.json"' in r.text
    assert backend.get("/bitbucket/rest/openapi.json").json()["paths"].keys() == \
        backend.get("/rest/openapi.json").json()["paths"].keys()


# --- errors as cairn answers them --------------------------------------------------------------------

def test_no_operation_documents_a_422(doc):
    offenders = [f"{m} {p}" for p, ops in doc["paths"].items() for m, op in ops.items() if "422" in op["responses"]]
    assert offenders == []
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    assert "ValidationError" not in doc["components"]["schemas"]


def test_the_error_body_schema_has_all_three_keys_required(doc):
    item = doc["components"]["schemas"]["Errors"]["properties"]["errors"]["items"]
    assert set(item["required"]) == {"context", "message", "exceptionName"}


def test_every_operation_with_input_documents_a_400_in_the_error_body(doc):
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if op.get("parameters") or op.get("requestBody"):
                assert _response_schema(doc, path, method, 400) == {"$ref": "#/components/schemas/Errors"}, \
                    f"{method} {path}"
            for code, response in op["responses"].items():
                if code[0] in "45":
                    assert list(response["content"]) == [JSON], f"{method} {path} {code}"


def test_documented_error_schema_matches_real_error_bodies(api, doc):
    api.project()
    api.repo()
    bodies = [
        api.post(BUILDS.format(projectKey="PRJ", repositorySlug="repo", commitId=SHA), json={"key": "K"}),
        api.get(BUILDS.format(projectKey="PRJ", repositorySlug="nope", commitId=SHA), params={"key": "K"}),
        api.as_user(None).get(STATS.format(commitId=SHA)),
        api.get("/rest/api/latest/nope"),
    ]
    for r in bodies:
        assert r.status_code in (400, 401, 404)
        _conforms(doc, r.json(), {"$ref": "#/components/schemas/Errors"})


# --- request bodies and responses as cairn uses them --------------------------------------------------

def test_the_builds_post_documents_its_body_and_a_204(doc):
    post = doc["paths"][BUILDS]["post"]
    body = _resolve(doc, post["requestBody"]["content"]["application/json"]["schema"])
    assert post["requestBody"]["required"] is True
    assert {"key", "state", "url"} <= set(body["required"])
    assert {"key", "state", "url", "buildNumber", "name", "description", "duration", "parent", "ref",
            "testResults", "lastUpdated"} <= set(body["properties"])
    assert _resolve(doc, body["properties"]["state"])["enum"] == STATES
    assert body["properties"]["key"]["maxLength"] == 255
    assert body["properties"]["url"]["maxLength"] == 450
    assert set(post["responses"]) == {"204", "400", "401", "404"}
    assert "content" not in post["responses"]["204"]


def test_commit_id_parameters_document_the_sha_pattern(doc):
    params = {p["name"]: p for p in doc["paths"][BUILDS]["post"]["parameters"]}
    pattern = params["commitId"]["schema"]["pattern"]
    assert re.fullmatch(pattern, SHA) and not re.fullmatch(pattern, "notasha")


def test_the_stats_response_documents_the_five_counters(doc):
    stats = _resolve(doc, _response_schema(doc, STATS, "get", 200))
    counters = {"successful", "failed", "inProgress", "cancelled", "unknown"}
    assert counters <= set(stats["required"])
    assert all(stats["properties"][c]["type"] == "integer" for c in counters)


@pytest.mark.parametrize("path, status", [
    (f"/rest/api/latest/projects/PRJ/repos/repo/commits/{SHA}/builds", 204),
    (f"/rest/build-status/latest/commits/{SHA}", 204),
    ("/rest/api/latest/projects", 201),
])
def test_documented_success_codes_are_the_real_ones(api, doc, path, status):
    api.project()
    api.repo()
    body = {"key": "K", "state": "SUCCESSFUL", "url": "http://ci/1"} if "commits" in path else \
        {"key": "NEW", "name": "New"}
    assert api.post(path, json=body).status_code == status
    template = re.sub(r"PRJ", "{projectKey}", re.sub(r"/repos/repo/", "/repos/{repositorySlug}/", path))
    template = template.replace(SHA, "{commitId}")
    assert [c for c in doc["paths"][template]["post"]["responses"] if c[0] == "2"] == [str(status)]


def test_real_responses_conform_to_the_documented_shapes(api, doc):
    api.project()
    api.repo()
    builds = BUILDS.format(projectKey="PRJ", repositorySlug="repo", commitId=SHA)
    assert api.post(builds, json={"key": "K", "state": "FAILED", "url": "http://ci/1", "buildNumber": 7,
                                  "testResults": {"successful": 1, "failed": 2, "skipped": 0},
                                  "ref": "refs/heads/main", "duration": 5}).status_code == 204
    assert api.post(f"/rest/build-status/latest/commits/{SHA}",
                    json={"key": "L", "state": "SUCCESSFUL", "url": "http://ci/2"}).status_code == 204
    samples = [  # (real path, documented path, method)
        ("/status", "/status", "get"),
        ("/rest/capabilities", "/rest/capabilities", "get"),
        ("/rest/api/latest/application-properties", "/rest/api/latest/application-properties", "get"),
        ("/rest/api/1.0/build/capabilities", "/rest/api/1.0/build/capabilities", "get"),
        ("/rest/api/latest/deployment/capabilities", "/rest/api/latest/deployment/capabilities", "get"),
        (builds + "?key=K", BUILDS, "get"),
        (builds, BUILDS, "get"),
        (f"/rest/build-status/latest/commits/stats/{SHA}", STATS, "get"),
        (f"/rest/build-status/latest/commits/stats/{SHA}?includeUnique=true", STATS, "get"),
        (f"/rest/build-status/latest/commits/{SHA}", "/rest/build-status/latest/commits/{commitId}", "get"),
    ]
    for real, documented, method in samples:
        r = api.request(method.upper(), real)
        assert r.status_code == 200, (real, r.text)
        _conforms(doc, r.json(), _response_schema(doc, documented, method, 200), real)
    r = api.post("/rest/build-status/latest/commits/stats", json=[SHA])
    _conforms(doc, r.json(), _response_schema(doc, "/rest/build-status/latest/commits/stats", "post", 200))


def test_the_documented_schemas_of_the_discovery_endpoints_are_not_empty(doc):
    for path in ("/status", "/rest/capabilities", "/rest/api/latest/application-properties",
                 "/rest/api/latest/build/capabilities", "/rest/api/latest/deployment/capabilities", "/rest/"):
        assert _resolve(doc, _response_schema(doc, path, "get", 200)).get("type") == "object", path


def test_every_json_success_response_has_a_described_schema(doc):
    empty = [f"{m.upper()} {p}" for p, ops in doc["paths"].items() if "/1.0/" not in p for m, op in ops.items()
             for code, response in op["responses"].items()
             if code[0] == "2" and JSON in response.get("content", {}) and not response["content"][JSON]["schema"]]
    assert empty == []


def test_repository_delete_documents_202_and_204(doc):
    responses = doc["paths"]["/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}"]["delete"]["responses"]
    assert {"202", "204"} <= set(responses) and "200" not in responses
    assert "content" not in responses["202"] and "content" not in responses["204"]


PROJECT = "/rest/api/latest/projects/{projectKey}"
REPO = "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}"
TOKENS = "/rest/access-tokens/latest/users/{userSlug}"


def _success_codes(doc, path, method):
    return [c for c in doc["paths"][path][method]["responses"] if c[0] == "2"]


def test_project_and_repository_updates_document_their_codes_with_bodies(doc):
    assert _success_codes(doc, PROJECT, "put") == ["200", "201"]
    assert _success_codes(doc, REPO, "put") == ["201"]
    for path, code in ((PROJECT, 200), (PROJECT, 201), (REPO, 201)):
        assert _response_schema(doc, path, "put", code)["$ref"].endswith(("/Project", "/Repository"))


def test_optional_members_are_documented_as_absent_not_null(doc):
    schemas = doc["components"]["schemas"]
    for name, member in (("Project", "description"), ("Repository", "description"),
                         ("AccessToken", "expiryDays"), ("AccessToken", "expiryDate")):
        assert member not in schemas[name]["required"]
        documented = schemas[name]["properties"][member]
        assert "anyOf" not in documented and "default" not in documented, (name, member)
    assert "token" in schemas["RawAccessToken"]["required"] and "token" not in schemas["AccessToken"]["properties"]


def test_real_project_repository_user_and_token_responses_conform(api, doc):
    api.project(description="Has one")
    api.repo()
    api.repo(name="Described", description="A repository with a description")
    alice = api.user("alice")
    api.grant_project("alice", "PROJECT_WRITE")
    api.grant_repo("alice", "REPO_ADMIN")
    created = api.as_user(alice).put("/rest/access-tokens/latest/users/alice",
                                     json={"name": "ci", "permissions": ["REPO_READ"], "expiryDays": 30})
    assert created.status_code == 200, created.text
    _conforms(doc, created.json(), _response_schema(doc, TOKENS, "put", 200), "token create")
    assert {"token", "expiryDays", "expiryDate"} <= set(created.json())
    for member in ("createdDate", "expiryDate"):  # documented as date-time
        datetime.fromisoformat(created.json()[member])
    never = api.as_user(alice).put("/rest/access-tokens/latest/users/alice",
                                   json={"name": "forever", "permissions": ["PROJECT_ADMIN"]})
    _conforms(doc, never.json(), _response_schema(doc, TOKENS, "put", 200), "token create (no expiry)")
    token_id = created.json()["id"]

    repo = api.get("/rest/api/latest/projects/PRJ/repos/repo")
    assert repo.status_code == 200, repo.text
    _conforms(doc, repo.json(), _response_schema(doc, REPO, "get", 200), "repository")
    samples = [  # (real path, documented path, method, code, body)
        ("/rest/api/latest/projects/PRJ/repos/described", REPO, "get", 200, None),
        ("/rest/api/latest/projects/PRJ/repos", REPO.rsplit("/", 1)[0], "get", 200, None),
        ("/rest/api/latest/projects/PRJ", PROJECT, "get", 200, None),
        ("/rest/api/latest/projects?limit=1", "/rest/api/latest/projects", "get", 200, None),
        ("/rest/api/latest/projects/PRJ/permissions/users", PROJECT + "/permissions/users", "get", 200, None),
        ("/rest/api/latest/projects/PRJ/repos/repo/permissions/users", REPO + "/permissions/users", "get", 200,
         None),
        ("/rest/api/latest/admin/users", "/rest/api/latest/admin/users", "get", 200, None),
        ("/rest/api/latest/admin/permissions/users", "/rest/api/latest/admin/permissions/users", "get", 200, None),
        ("/rest/access-tokens/latest/users/alice", TOKENS, "get", 200, None),
        (f"/rest/access-tokens/latest/users/alice/{token_id}", TOKENS + "/{tokenId}", "get", 200, None),
        ("/rest/api/latest/projects/PRJ/repos/repo", REPO, "put", 201, {"description": "changed"}),
        ("/rest/api/latest/projects/PRJ", PROJECT, "put", 200, {"name": "Renamed"}),
        ("/rest/api/latest/projects/PRJ", PROJECT, "put", 201, {"key": "MOVED"}),
        ("/rest/api/latest/admin/users?name=alice", "/rest/api/latest/admin/users", "delete", 200, None),
    ]
    for real, documented, method, code, body in samples:
        r = api.request(method.upper(), real, **({"json": body} if body is not None else {}))
        assert r.status_code == code, (real, r.text)
        _conforms(doc, r.json(), _response_schema(doc, documented, method, code), f"{method} {real}")
    assert api.delete("/rest/api/latest/projects/MOVED/repos/repo").status_code == 202
    assert api.delete("/rest/api/latest/projects/MOVED/repos/repo").status_code == 204


def test_build_number_is_documented_as_string_or_integer_as_accepted(doc):
    body = _resolve(doc, doc["paths"][BUILDS]["post"]["requestBody"]["content"]["application/json"]["schema"])
    kinds = {option.get("type") for option in body["properties"]["buildNumber"]["anyOf"]}
    assert {"string", "integer"} <= kinds


def test_the_events_a_webhook_receives_are_documented_with_their_payloads(doc):
    documented = doc["webhooks"]
    assert sorted(documented) == sorted(["build:status_set", "build:status_deleted", "insights:report_set",
                                         "insights:report_deleted", "insights:annotations_added",
                                         "insights:annotations_deleted", "deployment:set", "deployment:deleted"])
    schemas = doc["components"]["schemas"]
    for key, member in (("build:status_set", "buildStatus"), ("insights:annotations_added", "annotations"),
                        ("deployment:deleted", "deployment")):
        operation = documented[key]["post"]
        assert "X-Hub-Signature" in operation["description"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert {"eventKey", "date", "actor", "repository", "commit", member} <= set(schemas[ref]["properties"])
