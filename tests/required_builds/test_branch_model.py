"""The branching model (decision D12) and how changing it, or the default branch, changes what matches."""

from __future__ import annotations

import pytest

from tests.fixtures.api import assert_error
from tests.required_builds.conftest import (
    CONFIGURATION,
    DEFAULT_BRANCH,
    MODEL,
    create,
    model_url,
    verdict,
)

JSON_UTF8 = "application/json;charset=UTF-8"
DEFAULT_TYPES = [{"id": "BUGFIX", "displayName": "Bugfix", "prefix": "bugfix/"},
                 {"id": "FEATURE", "displayName": "Feature", "prefix": "feature/"},
                 {"id": "HOTFIX", "displayName": "Hotfix", "prefix": "hotfix/"},
                 {"id": "RELEASE", "displayName": "Release", "prefix": "release/"}]
DEFAULT_CONFIGURATION = {
    "development": {"refId": None, "useDefault": True},
    "production": {"refId": None, "useDefault": False},
    "types": [{**t, "enabled": True} for t in DEFAULT_TYPES],
}


def get_json(api, url: str) -> dict:
    r = api.get(url)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == JSON_UTF8
    return r.json()


def put_configuration(api, body: dict) -> dict:
    r = api.put(CONFIGURATION, json=body)
    assert r.status_code == 200, r.text
    return r.json()


def set_default_branch(api, ref: str) -> None:
    r = api.put(DEFAULT_BRANCH, json={"id": ref})
    assert r.status_code == 204, r.text


def applies(api, target: str, source: str | None = None) -> list[bool]:
    return [c["applies"] for c in verdict(api, target, source)["conditions"]]


# --- the defaults ----------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["1.0", "latest"])
def test_default_model(repo, version):
    assert get_json(repo, model_url(version)) == {
        "development": {"id": "refs/heads/main", "displayId": "main", "type": "BRANCH", "isDefault": True},
        "types": DEFAULT_TYPES,
    }


@pytest.mark.parametrize("version", ["1.0", "latest"])
def test_default_configuration(repo, version):
    assert get_json(repo, model_url(version) + "/configuration") == DEFAULT_CONFIGURATION


def test_development_is_the_repository_default_branch(api):
    api.project()
    api.repo(defaultBranch="develop")
    assert get_json(api, MODEL)["development"] == {"id": "refs/heads/develop", "displayId": "develop",
                                                   "type": "BRANCH", "isDefault": True}


def test_model_follows_a_changed_default_branch(repo):
    set_default_branch(repo, "refs/heads/trunk")
    assert get_json(repo, DEFAULT_BRANCH) == {"id": "refs/heads/trunk", "displayId": "trunk", "type": "BRANCH"}
    assert get_json(repo, MODEL)["development"] == {"id": "refs/heads/trunk", "displayId": "trunk",
                                                    "type": "BRANCH", "isDefault": True}
    set_default_branch(repo, "next")  # a short name means refs/heads/next (D11)
    assert get_json(repo, MODEL)["development"]["id"] == "refs/heads/next"


# --- the configuration -----------------------------------------------------------------------------

def test_put_configuration_and_read_it_back(repo):
    body = {"development": {"refId": "refs/heads/develop", "useDefault": False},
            "production": {"refId": "prod", "useDefault": False},
            "types": [{"id": "FEATURE", "prefix": "feat/"}, {"id": "HOTFIX", "prefix": "hotfix/", "enabled": False}]}
    expected = {
        "development": {"refId": "refs/heads/develop", "useDefault": False},
        "production": {"refId": "refs/heads/prod", "useDefault": False},
        "types": [{"id": "BUGFIX", "displayName": "Bugfix", "enabled": True, "prefix": "bugfix/"},
                  {"id": "FEATURE", "displayName": "Feature", "enabled": True, "prefix": "feat/"},
                  {"id": "HOTFIX", "displayName": "Hotfix", "enabled": False, "prefix": "hotfix/"},
                  {"id": "RELEASE", "displayName": "Release", "enabled": True, "prefix": "release/"}],
    }
    assert put_configuration(repo, body) == expected
    assert get_json(repo, CONFIGURATION) == expected
    assert get_json(repo, model_url("1.0") + "/configuration") == expected
    assert get_json(repo, MODEL) == {
        "development": {"id": "refs/heads/develop", "displayId": "develop", "type": "BRANCH", "isDefault": False},
        "production": {"id": "refs/heads/prod", "displayId": "prod", "type": "BRANCH", "isDefault": False},
        "types": [{"id": "BUGFIX", "displayName": "Bugfix", "prefix": "bugfix/"},
                  {"id": "FEATURE", "displayName": "Feature", "prefix": "feat/"},
                  {"id": "RELEASE", "displayName": "Release", "prefix": "release/"}],  # HOTFIX disabled: not shown
    }


def test_put_replaces_the_whole_configuration(repo):
    put_configuration(repo, {"production": {"refId": "prod"}, "types": [{"id": "FEATURE", "prefix": "f/"}]})
    assert put_configuration(repo, {}) == DEFAULT_CONFIGURATION  # everything not given is back to its default
    assert get_json(repo, MODEL) == {
        "development": {"id": "refs/heads/main", "displayId": "main", "type": "BRANCH", "isDefault": True},
        "types": DEFAULT_TYPES}


def test_production_may_use_the_default_branch(repo):
    put_configuration(repo, {"production": {"useDefault": True}})
    model = get_json(repo, MODEL)
    assert model["production"] == {"id": "refs/heads/main", "displayId": "main", "type": "BRANCH", "isDefault": True}


def test_delete_restores_the_defaults(repo):
    put_configuration(repo, {"production": {"refId": "prod"}, "types": [{"id": "BUGFIX", "prefix": "fix/",
                                                                         "enabled": False}]})
    r = repo.delete(CONFIGURATION)
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert get_json(repo, CONFIGURATION) == DEFAULT_CONFIGURATION
    assert "production" not in get_json(repo, MODEL)
    assert repo.delete(CONFIGURATION).status_code == 204  # also when there is nothing to reset


def test_configuration_is_per_repository(repo):
    repo.repo(name="other")
    put_configuration(repo, {"types": [{"id": "FEATURE", "prefix": "f/"}]})
    assert get_json(repo, model_url(repo="other") + "/configuration") == DEFAULT_CONFIGURATION


# name -> (body, what the error names: context or a word of the message)
BAD_CONFIGURATION = {
    "unknown category": ({"types": [{"id": "EPIC", "prefix": "epic/"}]}, "types"),
    "empty prefix": ({"types": [{"id": "FEATURE", "prefix": ""}]}, "types"),
    "missing prefix": ({"types": [{"id": "FEATURE"}]}, "types"),
    "prefix with a space": ({"types": [{"id": "FEATURE", "prefix": "my feature/"}]}, "types"),
    "non-boolean enabled": ({"types": [{"id": "FEATURE", "prefix": "f/", "enabled": "yes"}]}, "types"),
    "category twice": ({"types": [{"id": "FEATURE", "prefix": "a/"}, {"id": "FEATURE", "prefix": "b/"}]}, "type"),
    "five categories": ({"types": [{"id": c, "prefix": f"{c.lower()}/"} for c in
                                   ("BUGFIX", "FEATURE", "HOTFIX", "RELEASE", "BUGFIX")]}, "types"),
    "development without a branch": ({"development": {"useDefault": False}}, "development"),
    "non-boolean useDefault": ({"development": {"useDefault": "true"}}, "development"),
    "types not a list": ({"types": "FEATURE"}, "types"),
    "blank branch": ({"production": {"refId": "  "}}, "production"),
    "branch longer than a ref may be": ({"development": {"refId": "x" * 1020, "useDefault": False}}, "development"),
}


@pytest.mark.parametrize("name", list(BAD_CONFIGURATION))
def test_bad_configuration_is_400_and_changes_nothing(repo, name):
    put_configuration(repo, {"production": {"refId": "prod"}})
    before = get_json(repo, CONFIGURATION)
    body, named = BAD_CONFIGURATION[name]
    error = assert_error(repo.put(CONFIGURATION, json=body), 400)
    assert (error["context"] or "").startswith(named) or named in error["message"], error
    assert get_json(repo, CONFIGURATION) == before


def test_malformed_configuration_is_400(repo):
    r = repo.put(CONFIGURATION, content=b'{"types": [', headers={"Content-Type": "application/json",
                                                                   "Authorization": _basic()})
    assert_error(r, 400)
    assert get_json(repo, CONFIGURATION) == DEFAULT_CONFIGURATION


# --- changing the model changes what matches ----------------------------------------------------------

def test_category_condition_stops_applying_after_the_prefix_changes(repo):
    create(repo, ref=("MODEL_CATEGORY", "RELEASE"))
    assert applies(repo, "refs/heads/release/1.0") == [True]
    put_configuration(repo, {"types": [{"id": "RELEASE", "prefix": "rel/"}]})
    assert applies(repo, "refs/heads/release/1.0") == [False]
    assert applies(repo, "refs/heads/rel/1.0") == [True]
    repo.delete(CONFIGURATION)
    assert applies(repo, "refs/heads/release/1.0") == [True]
    assert applies(repo, "refs/heads/rel/1.0") == [False]


def test_category_condition_stops_applying_when_the_category_is_disabled(repo):
    create(repo, ref=("MODEL_CATEGORY", "RELEASE"))
    put_configuration(repo, {"types": [{"id": "RELEASE", "prefix": "release/", "enabled": False}]})
    assert applies(repo, "refs/heads/release/1.0") == [False]
    assert verdict(repo, "refs/heads/release/1.0")["canMerge"] is True


def test_category_exemption_follows_the_prefix(repo):
    create(repo, ref=("ANY_REF",), exempt=("MODEL_CATEGORY", "HOTFIX"))
    assert applies(repo, "refs/heads/main", "refs/heads/hotfix/urgent") == [False]
    put_configuration(repo, {"types": [{"id": "HOTFIX", "prefix": "hf-"}]})
    assert applies(repo, "refs/heads/main", "refs/heads/hotfix/urgent") == [True]
    assert applies(repo, "refs/heads/main", "refs/heads/hf-urgent") == [False]


def test_development_condition_follows_the_default_branch(repo):
    create(repo, ref=("MODEL_BRANCH", "development"))
    assert applies(repo, "refs/heads/main") == [True]
    assert applies(repo, "refs/heads/develop") == [False]
    set_default_branch(repo, "refs/heads/develop")
    assert applies(repo, "refs/heads/main") == [False]
    assert applies(repo, "refs/heads/develop") == [True]
    assert verdict(repo, "develop")["canMerge"] is False


def test_development_condition_follows_the_configuration(repo):
    create(repo, ref=("MODEL_BRANCH", "development"))
    put_configuration(repo, {"development": {"refId": "integration", "useDefault": False}})
    assert applies(repo, "refs/heads/main") == [False]
    assert applies(repo, "refs/heads/integration") == [True]
    set_default_branch(repo, "refs/heads/trunk")  # the configured branch wins over the default branch
    assert applies(repo, "refs/heads/trunk") == [False]
    assert applies(repo, "refs/heads/integration") == [True]
    repo.delete(CONFIGURATION)  # back to the default branch, now trunk
    assert applies(repo, "refs/heads/trunk") == [True]
    assert applies(repo, "refs/heads/integration") == [False]


def test_production_condition_applies_only_once_configured(repo):
    create(repo, ref=("MODEL_BRANCH", "production"))
    assert applies(repo, "refs/heads/main") == [False]
    assert applies(repo, "refs/heads/prod") == [False]
    put_configuration(repo, {"production": {"refId": "refs/heads/prod", "useDefault": False}})
    assert applies(repo, "refs/heads/prod") == [True]
    assert applies(repo, "refs/heads/main") == [False]
    put_configuration(repo, {"production": {"useDefault": True}})
    assert applies(repo, "refs/heads/main") == [True]


def _basic() -> str:
    import base64
    return "Basic " + base64.b64encode(b"admin:admin-password").decode()
