"""Settings every service shares, read from CROSSLINK_* environment variables.

Development defaults make `make up` work on a fresh clone; outside development the unsafe
ones (demo districts file, demo pseudonym key) are refused at start-up with a clear message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Self, TypeVar

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crosslink.kafka_access import KafkaAccess, TlsIdentity
from crosslink.logs import LogFormat
from crosslink.provisioning import Replication

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_DISTRICTS_FILE = REPO_ROOT / "deploy" / "districts.demo.yaml"
AnySettings = TypeVar("AnySettings", bound=BaseSettings)


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CROSSLINK_", extra="ignore")

    env: Literal["development", "production"] = "development"
    kafka_bootstrap: str = "127.0.0.1:9092"
    # Mutual TLS to the brokers (PEM files): the authority that signed the brokers'
    # certificates, and this service's own certificate and key, whose common name is its
    # principal. All three or none; required in production.
    kafka_ca_file: Path | None = None
    kafka_cert_file: Path | None = None
    kafka_key_file: Path | None = None
    districts_file: Path = DEMO_DISTRICTS_FILE
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: LogFormat = "auto"
    max_body_bytes: Annotated[int, Field(ge=1024)] = 1_048_576
    rate_limit_per_minute: Annotated[float, Field(gt=0)] = 600.0
    rate_limit_burst: Annotated[int, Field(ge=1)] = 120
    directory_check_interval_s: Annotated[float, Field(gt=0)] = 1.0
    idempotency_ttl_s: Annotated[float, Field(gt=0)] = 24 * 3600.0
    request_timeout_s: Annotated[float, Field(gt=0)] = 30.0
    # How many brokers hold each partition of crosslink's topics, and how many must have a
    # write before it counts (acks=all); see `replication`.
    topic_replication_factor: Annotated[int, Field(ge=1)] | None = None
    topic_min_insync_replicas: Annotated[int, Field(ge=1)] | None = None

    @property
    def replication(self) -> Replication:
        """As set, else 3 brokers in production and 1 in development; a write counts on 2 of 3
        (one broker may fail) and on the only one of 1."""
        factor = self.topic_replication_factor or (3 if self.env == "production" else 1)
        min_insync = self.topic_min_insync_replicas or Replication.on(factor).min_insync
        return Replication(factor, min_insync)

    @property
    def kafka(self) -> KafkaAccess:
        """How this process reaches Kafka, and as whom."""
        ca_file, cert_file, key_file = self.kafka_ca_file, self.kafka_cert_file, self.kafka_key_file
        if ca_file is None or cert_file is None or key_file is None:
            return KafkaAccess(self.kafka_bootstrap)
        return KafkaAccess(self.kafka_bootstrap, TlsIdentity(ca_file, cert_file, key_file))

    @model_validator(mode="after")
    def _kafka_tls_whole_and_present(self) -> Self:
        named = {
            "CROSSLINK_KAFKA_CA_FILE": self.kafka_ca_file,
            "CROSSLINK_KAFKA_CERT_FILE": self.kafka_cert_file,
            "CROSSLINK_KAFKA_KEY_FILE": self.kafka_key_file,
        }
        unset = [name for name, path in named.items() if path is None]
        if unset and len(unset) < len(named):
            raise ValueError(f"Kafka's TLS needs all three files; {', '.join(unset)} not set")
        if unset and self.env == "production":
            raise ValueError(
                "production reaches Kafka over mutual TLS: set CROSSLINK_KAFKA_CA_FILE, "
                "CROSSLINK_KAFKA_CERT_FILE and CROSSLINK_KAFKA_KEY_FILE"
            )
        absent = [name for name, path in named.items() if path is not None and not path.is_file()]
        if absent:
            raise ValueError(f"no readable file at {', '.join(absent)}")
        return self

    @model_validator(mode="after")
    def _min_insync_within_the_replicas(self) -> Self:
        replication = self.replication
        if replication.min_insync > replication.factor:
            raise ValueError(
                "CROSSLINK_TOPIC_MIN_INSYNC_REPLICAS cannot exceed "
                "CROSSLINK_TOPIC_REPLICATION_FACTOR: no write could ever count"
            )
        return self

    @model_validator(mode="after")
    def _refuse_demo_directory_in_production(self) -> Self:
        if self.env == "production" and self.districts_file == DEMO_DISTRICTS_FILE:
            raise ValueError(
                "CROSSLINK_DISTRICTS_FILE must name the real districts directory in production"
            )
        return self


def from_environment(settings_type: type[AnySettings]) -> AnySettings:
    """`settings_type` read from the environment. Refused, the process stops with a message
    that names each setting and the rule it broke, and never its value: pydantic's own message
    quotes the input, which may be a key."""
    try:
        return settings_type()
    except ValidationError as error:
        raise SystemExit(refusal(settings_type, error)) from None


def refusal(settings_type: type[BaseSettings], error: ValidationError) -> str:
    """What to tell the person starting the service about refused settings, without values."""
    prefix = str(settings_type.model_config.get("env_prefix", ""))
    lines = [f"crosslink cannot start: {error.error_count()} setting(s) refused"]
    for detail in error.errors(include_input=False, include_url=False, include_context=False):
        names = ", ".join(f"{prefix}{part}".upper() for part in detail["loc"])
        rule = detail["msg"].removeprefix("Value error, ")
        lines.append(f"- {names}: {rule}" if names else f"- {rule}")
    return "\n".join(lines)
