"""Webhooks: Bitbucket's webhook API on projects and repositories, for the events cairn fires (cairn.events),
delivered by every `cairn serve` process (delivery.py) with retries, from the outbox."""
