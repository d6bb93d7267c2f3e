"""The three crosslink services: intake, matcher, notifier."""
