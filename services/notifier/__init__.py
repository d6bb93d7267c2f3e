"""Notifier: delivers each alert to every district involved, as signed webhooks."""
