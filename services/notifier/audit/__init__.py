"""The tamper-evident audit trail: who viewed or changed which case data, when. Each entry's
hash covers the entry before it (chain.py, pure); the entries are appended in the notifier's
database (services/notifier/store/audit.py), never changed, and checked by
`crosslink audit verify`."""
