"""The `cairn` command: one group, a file per area."""

from __future__ import annotations

import click

from cairn.cli import admin, backup, copy, prune, serve, verdict, webhook


@click.group()
def main() -> None:
    """cairn: a self-hosted home for build results, speaking Bitbucket's Builds and Deployments API."""


main.add_command(serve.serve)
main.add_command(serve.db)
main.add_command(verdict.verdict)
main.add_command(backup.backup)
main.add_command(backup.restore)
main.add_command(prune.prune)
main.add_command(copy.copy)
main.add_command(webhook.webhook)
for command in admin.COMMANDS:
    main.add_command(command)
