"""Every Kafka topic crosslink uses, with its partition count: the one list provisioning creates.

Identifier sightings are keyed by pseudonym token, so all sightings of one identifier land on
one partition and the matcher's table for that token is local to the worker that owns it.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


# What crosslink has been told, kept for good: the history every table can be rebuilt from
# (issue 17). Never deleted by age or size; these events are small and hold no raw value.
KEPT_FOR_GOOD = {"retention.ms": "-1", "retention.bytes": "-1"}
MATCHER_APP_ID = "crosslink-matcher"
# Every notifier consumer group's name begins with this (its permission is on the prefix).
NOTIFIER_GROUP_PREFIX = "crosslink-notifier"
# One row per token, and one per (token, complaint) counted: one table, so that its changelog
# keeps the two in the order they were written (a store rebuilt from it never has a row that
# counts a complaint without the record of its counting).
STATE_TABLE = "state_by_token"

IDENTIFIER_SIGHTED = TopicSpec(
    "crosslink.identifier-sighted.v1", partitions=6, config=KEPT_FOR_GOOD
)
# Same partition count and key as sightings: the matcher reads both through one agent.
REGISTRY_ENTRY_ADDED = TopicSpec(
    "crosslink.registry-entry-added.v1", partitions=6, config=KEPT_FOR_GOOD
)
# Operators' decisions that a value is generic: the record of who decided what.
GENERIC_VALUE_DECIDED = TopicSpec(
    "crosslink.generic-value-decided.v1", partitions=6, config=KEPT_FOR_GOOD
)
# Officers' word that a complaint is not linked through an identifier (LinkWithdrawn), keyed by
# token like the sightings it withdraws; the notifier writes it, and complaints-filed again.
LINK_WITHDRAWN = TopicSpec("crosslink.link-withdrawn.v1", partitions=6, config=KEPT_FOR_GOOD)
# Kept for good too: the record of what every district has been told, which a rematch reads
# so that it tells no district again of a link it has had.
ALERT_RAISED = TopicSpec("crosslink.alert-raised.v1", partitions=3, config=KEPT_FOR_GOOD)
# One partition: clustering reads every complaint (and every generic-value decision) in the one
# order intake accepted them, so the same complaints make the same gangs whatever the matcher's
# partitions do. A record per complaint, not per identifier.
COMPLAINTS_FILED = TopicSpec("crosslink.complaints-filed.v1", partitions=1, config=KEPT_FOR_GOOD)
# Clusters, forwarding pointers, each identifier's first complaint and each complaint's
# shortcut to its cluster: one table, so its changelog keeps them in the order written.
CLUSTERS_TABLE = "clusters"
DEAD_LETTER = TopicSpec("crosslink.dead-letter.v1", partitions=1)
# A copy of every audit-trail entry, kept for good outside the notifier's database: one
# partition, in the entries' order. `crosslink audit verify --against-kafka` compares them.
AUDIT_RECORDED = TopicSpec("crosslink.audit-recorded.v1", partitions=1, config=KEPT_FOR_GOOD)
# Each key rotation's map from the history's tokens to the new ones (TokenRekeyed), kept for
# good: a rematch composes every rotation's. Only the administrator reads or writes it.
TOKEN_REKEYED = TopicSpec("crosslink.token-rekeyed.v1", partitions=1, config=KEPT_FOR_GOOD)
# Faust names a table's changelog "<app id>-<table>-changelog"; it must match its source topic.
STATE_CHANGELOG = TopicSpec(
    f"{MATCHER_APP_ID}-{STATE_TABLE}-changelog",
    partitions=IDENTIFIER_SIGHTED.partitions,
    config={"cleanup.policy": "compact"},
)
CLUSTERS_CHANGELOG = TopicSpec(
    f"{MATCHER_APP_ID}-{CLUSTERS_TABLE}-changelog",
    partitions=1,
    config={"cleanup.policy": "compact"},
)
# faust's leader election among matcher workers; faust creates it (one partition, no records).
LEADER = TopicSpec(f"{MATCHER_APP_ID}-__assignor-__leader", partitions=1)

# An import's end (ImportClosed) is written to every partition of these, behind its complaints;
# the matcher passes it on to every alerts partition, so the notifier knows an import's alerts
# are all in once it holds this many passes (ImportPassed).
IMPORT_MARKED: tuple[TopicSpec, ...] = (IDENTIFIER_SIGHTED, COMPLAINTS_FILED)
IMPORT_PASSES = ALERT_RAISED.partitions * sum(spec.partitions for spec in IMPORT_MARKED)

# What crosslink was told, in the order written: every table is rebuilt from these.
HISTORY: tuple[TopicSpec, ...] = (
    IDENTIFIER_SIGHTED,
    REGISTRY_ENTRY_ADDED,
    GENERIC_VALUE_DECIDED,
    LINK_WITHDRAWN,
    COMPLAINTS_FILED,
)
ALL_TOPICS: tuple[TopicSpec, ...] = (
    IDENTIFIER_SIGHTED,
    COMPLAINTS_FILED,
    CLUSTERS_CHANGELOG,
    REGISTRY_ENTRY_ADDED,
    GENERIC_VALUE_DECIDED,
    LINK_WITHDRAWN,
    ALERT_RAISED,
    DEAD_LETTER,
    STATE_CHANGELOG,
    TOKEN_REKEYED,
    AUDIT_RECORDED,
)
