"""Contracts shared by every crosslink service: API bodies, events, topics, identifier canon."""
