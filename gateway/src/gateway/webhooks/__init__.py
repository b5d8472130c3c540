"""Webhook subscriptions: registration (``router``), delivery (``delivery``), rules (``rules``)."""
