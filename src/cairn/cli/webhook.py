"""`cairn webhook list | deliveries | redeliver`: webhooks and their deliveries, as the operator sees them."""

from __future__ import annotations

import click

from cairn.cli.admin import _audit, _run, _session
from cairn.webhooks import service as webhooks


@click.group()
def webhook() -> None:
    """Webhooks: list them, read their deliveries, deliver again."""


@webhook.command("list")
def list_webhooks() -> None:
    """Every webhook: id, scope, name, URL, events."""
    async def run():
        async with _session() as (_settings, conn):
            for hook in await webhooks.everywhere(conn):
                state = "active" if hook["active"] else "inactive"
                click.echo(f"{hook['id']}  {hook['scope']}  {hook['name']}  {hook['url']}  {state}  "
                           f"{','.join(hook['events'])}")
    _run(run)


@webhook.command()
@click.argument("webhook_id", type=int)
@click.option("--limit", default=25, show_default=True, help="How many, newest first.")
def deliveries(webhook_id: int, limit: int) -> None:
    """A webhook's deliveries, newest first: id, state, attempts, event, status code, when."""
    async def run():
        async with _session() as (_settings, conn):
            for d in await webhooks.deliveries(conn, None, None, webhook_id, 0, limit):
                result = d["result"]
                click.echo(f"{d['id']}  {result['state']}  {result['attempts']}  {d['event']}  "
                           f"{result['statusCode'] or '-'}  {d['finish'] or '-'}  {result['description'][:60]}")
    _run(run)


@webhook.command()
@click.argument("webhook_id", type=int)
@click.argument("delivery_ids", type=int, nargs=-1)
@click.option("--failed", is_flag=True, help="Every kept delivery of the webhook that failed for good.")
def redeliver(webhook_id: int, delivery_ids: tuple[int, ...], failed: bool) -> None:
    """Deliver these deliveries' events again (after the webhook's pending ones), oldest first."""
    if not delivery_ids and not failed:
        raise click.UsageError("name the deliveries, or give --failed")

    async def run():
        async with _session() as (_settings, conn):
            ids = sorted(set(delivery_ids) | set(await webhooks.failed_ids(conn, webhook_id) if failed else ()))
            for delivery_id in ids:
                new = await webhooks.redeliver(conn, None, None, webhook_id, delivery_id)
                click.echo(f"delivery {delivery_id}: delivered again as {new['id']}")
            if ids:
                await _audit(conn, "WEBHOOK_REDELIVERED", {"id": webhook_id, "deliveries": ids})
            else:
                click.echo("nothing to deliver again")
    _run(run)
