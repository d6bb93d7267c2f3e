"""The district console: web pages where officers see, understand and act on their alerts.

Served by the notifier, server-rendered with Jinja2; it reads and acts through the same
Inbox and Outbox as the REST API, so the access rules exist once (docs/console.md).
"""
