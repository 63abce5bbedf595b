"""Small helpers every domain's routes share."""

from __future__ import annotations

from fastapi import Request


def base_url(request: Request) -> str:
    """The externally visible base URL every absolute link is built from (CAIRN_BASE_URL)."""
    return request.app.state.settings.public_base_url


def documented(model, description: str) -> dict:
    """A `responses=` entry: documents a body shape without validating responses at run time."""
    return {"model": model, "description": description}
