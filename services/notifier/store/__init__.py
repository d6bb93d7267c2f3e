"""The notifier's database: the delivery outbox, the districts' inboxes, operator alerts."""
