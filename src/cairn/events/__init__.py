"""Events: what changed in a repository's build results, recorded in the change's own transaction (the outbox
webhooks deliver from, cairn.webhooks) and streamed live to whoever watches (GET .../events).

Every domain that changes build results records its events here, as it writes through db/ and auth/."""
