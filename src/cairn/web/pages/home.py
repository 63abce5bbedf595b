"""The front page (repositories the visitor may read) and a project's page."""

from __future__ import annotations

from fastapi import APIRouter, Request

from cairn.auth.deps import project_access
from cairn.db.uow import Conn
from cairn.kit.paging import page, page_request
from cairn.projects import service as projects
from cairn.web.pages import ProjectKey, Text
from cairn.web.render import render
from cairn.web.session import Visitor

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request, conn: Conn, visitor: Visitor, q: Text = None, start: Text = None):
    paging = page_request(start, None)
    text = (q or "").strip()
    rows = await projects.search_repositories(conn, visitor, text, paging.start, paging.limit + 1)
    return render(request, "home.html", {"repositories": page(rows, paging), "q": text})


@router.get("/projects/{projectKey}")
async def project(request: Request, conn: Conn, visitor: Visitor, projectKey: ProjectKey,  # noqa: N803
                  start: Text = None):
    access = await project_access(conn, visitor, projectKey)
    paging = page_request(start, None)
    rows = await projects.list_repositories(conn, visitor, access.project, paging.start, paging.limit + 1)
    return render(request, "project.html", {"project": access.project, "repositories": page(rows, paging)})
