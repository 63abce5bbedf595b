"""Who is calling: an anonymous caller, a user by password, or a user through a personal token."""

from __future__ import annotations

from dataclasses import dataclass

from cairn.auth.permissions import LICENSED_USER, NONE, PROJECT_CREATE


@dataclass(frozen=True)
class Principal:
    user_id: int | None = None
    name: str | None = None
    slug: str | None = None
    global_grant: int = NONE
    # Personal tokens cap what their owner may do: levels for projects and repositories.
    token_project_cap: int | None = None
    token_repository_cap: int | None = None
    # What events name the caller by (their `actor`, Bitbucket's RestApplicationUser).
    display_name: str | None = None
    email: str | None = None
    service: bool = False

    @classmethod
    def of_user(cls, row, token=None) -> "Principal":
        """The user of a users row (auth.store.USER_COLUMNS), capped by `token`'s permissions when given."""
        return cls(user_id=row.id, name=row.name, slug=row.slug, global_grant=row.global_grant or 0,
                   token_project_cap=None if token is None else token.project_permission,
                   token_repository_cap=None if token is None else token.repository_permission,
                   display_name=row.display_name, email=row.email, service=bool(row.service))

    @property
    def anonymous(self) -> bool:
        return self.user_id is None

    @property
    def via_token(self) -> bool:
        return self.token_project_cap is not None

    @property
    def owner_global_level(self) -> int:
        """The owner's own global permission (what project/repository levels derive from)."""
        return NONE if self.anonymous else max(self.global_grant, LICENSED_USER)

    @property
    def global_level(self) -> int:
        """Global permission in force: a token never carries its owner's administration rights."""
        if self.anonymous:
            return NONE
        level = max(self.global_grant, LICENSED_USER)
        if self.via_token:
            # A token with PROJECT_ADMIN may still create projects; it never administers the instance.
            level = min(level, PROJECT_CREATE if self.token_project_cap >= 3 else LICENSED_USER)
        return level

    @property
    def repository_cap(self) -> int | None:
        if not self.via_token:
            return None
        return max(self.token_project_cap, self.token_repository_cap)



ANONYMOUS = Principal()
