"""Small helpers every domain's routes share."""

from __future__ import annotations

from fastapi import Request


def base_url(request: Request) -> str:
    """The externally visible base URL every absolute link is built from (CAIRN_BASE_URL)."""
    return request.app.state.settings.public_base_url


def documented(model, description: str) -> dict:
    """A `responses=` entry: documents a body shape without validating responses at run time."""
    return {"model": model, "description": description}


FAST_PATH = "cairn_fast_path"


def fast_path(handler: str):
    """Declare that cairn.lane answers this route's ordinary requests itself, with its method `handler` (the
    lane reads the declaration off the route table, so the path is written once)."""
    def declare(endpoint):
        setattr(endpoint, FAST_PATH, handler)
        return endpoint
    return declare
