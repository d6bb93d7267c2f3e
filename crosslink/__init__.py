"""Shared runtime support: settings, districts directory, topics, logging, local broker, CLI."""
