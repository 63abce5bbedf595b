"""Bitbucket's permission names and how they imply each other (pure)."""

from __future__ import annotations

NONE, READ, WRITE, ADMIN = 0, 1, 2, 3

# Global permissions, each implying those below it. Every user is licensed (no licence groups in cairn).
LICENSED_USER, PROJECT_CREATE, GLOBAL_ADMIN, SYS_ADMIN = 1, 2, 3, 4
GLOBAL = {"LICENSED_USER": LICENSED_USER, "PROJECT_CREATE": PROJECT_CREATE, "ADMIN": GLOBAL_ADMIN,
          "SYS_ADMIN": SYS_ADMIN}
PROJECT = {"PROJECT_READ": READ, "PROJECT_WRITE": WRITE, "PROJECT_ADMIN": ADMIN}
REPOSITORY = {"REPO_READ": READ, "REPO_WRITE": WRITE, "REPO_ADMIN": ADMIN}

GLOBAL_NAMES = {v: k for k, v in GLOBAL.items()}
PROJECT_NAMES = {v: k for k, v in PROJECT.items()}
REPOSITORY_NAMES = {v: k for k, v in REPOSITORY.items()}


def repository_level(*, global_level: int, project_grant: int | None, repository_grant: int | None,
                     public: bool, token_cap: int | None = None) -> int:
    """The caller's level on a repository: grants, project inheritance, admin, public read, token cap."""
    level = max(project_grant or NONE, repository_grant or NONE)
    if global_level >= GLOBAL_ADMIN:
        level = ADMIN
    if token_cap is not None:
        level = min(level, token_cap)
    if public:
        level = max(level, READ)
    return level


def project_level(*, global_level: int, project_grant: int | None, public: bool,
                  token_cap: int | None = None) -> int:
    level = project_grant or NONE
    if global_level >= GLOBAL_ADMIN:
        level = ADMIN
    if token_cap is not None:
        level = min(level, token_cap)
    if public:
        level = max(level, READ)
    return level
