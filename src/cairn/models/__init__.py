"""Every table, one module each; importing this package registers them all on `metadata`."""

from cairn.models.access_tokens import access_tokens
from cairn.models.audit_events import audit_events
from cairn.models.base import metadata
from cairn.models.branch_models import branch_models
from cairn.models.build_statuses import build_statuses
from cairn.models.deployment_environments import deployment_environments
from cairn.models.deployments import deployments
from cairn.models.events import event_queue, events
from cairn.models.global_group_permissions import global_group_permissions
from cairn.models.global_permissions import global_permissions
from cairn.models.group_members import group_members
from cairn.models.groups import groups
from cairn.models.insight_annotations import insight_annotations
from cairn.models.insight_reports import insight_reports
from cairn.models.project_group_permissions import project_group_permissions
from cairn.models.project_permissions import project_permissions
from cairn.models.projects import projects
from cairn.models.rate_limit_rejects import rate_limit_rejects
from cairn.models.rate_limit_settings import rate_limit_settings
from cairn.models.repositories import repositories
from cairn.models.repository_group_permissions import repository_group_permissions
from cairn.models.repository_permissions import repository_permissions
from cairn.models.required_build_conditions import required_build_conditions
from cairn.models.user_rate_limits import user_rate_limits
from cairn.models.users import users
from cairn.models.web_sessions import web_sessions
from cairn.models.webhook_deliveries import webhook_deliveries
from cairn.models.webhooks import webhooks

__all__ = [
    "access_tokens",
    "audit_events",
    "branch_models",
    "build_statuses",
    "deployment_environments",
    "deployments",
    "event_queue",
    "events",
    "global_group_permissions",
    "global_permissions",
    "group_members",
    "groups",
    "insight_annotations",
    "insight_reports",
    "metadata",
    "project_group_permissions",
    "project_permissions",
    "projects",
    "rate_limit_rejects",
    "rate_limit_settings",
    "repositories",
    "repository_group_permissions",
    "repository_permissions",
    "required_build_conditions",
    "user_rate_limits",
    "users",
    "web_sessions",
    "webhook_deliveries",
    "webhooks",
]
