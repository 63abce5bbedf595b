"""One module per area of the UI; each handler gathers its page's data from the domains' services, then renders."""

from typing import Annotated

from fastapi import Path, Query

# Every parameter arrives as text, so bad input meets the services' own checks and messages, never FastAPI's.
Text = Annotated[str | None, Query()]
ProjectKey = Annotated[str, Path()]
RepositorySlug = Annotated[str, Path()]
REPOSITORY = "/projects/{projectKey}/repos/{repositorySlug}"
