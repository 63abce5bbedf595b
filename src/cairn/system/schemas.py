"""Wire shapes of the discovery endpoints."""

from __future__ import annotations

from pydantic import BaseModel


class Status(BaseModel):
    state: str


class ApplicationProperties(BaseModel):
    version: str
    buildNumber: str
    buildDate: str
    displayName: str


class Capabilities(BaseModel):
    application: str
    buildDate: str
    links: dict[str, str]
    capabilities: dict[str, str]


class BuildCapabilities(BaseModel):
    buildStatus: list[str]
