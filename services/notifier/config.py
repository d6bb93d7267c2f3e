"""Notifier settings (CROSSLINK_* environment variables), documented in docs/configuration.md."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Self

from pydantic import Field, HttpUrl, SecretStr, field_validator, model_validator

from crosslink.settings import REPO_ROOT, CommonSettings, from_environment
from schemas.topics import NOTIFIER_GROUP_PREFIX

DEFAULT_DATABASE_URL = f"sqlite:///{REPO_ROOT / '.crosslink' / 'notifier' / 'outbox.db'}"
# Immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: about 28 hours before a dead letter.
DEV_CONSOLE_SESSION_KEY = "development-only-console-session-key"
DEFAULT_RETRY_SCHEDULE_S = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)

Seconds = Annotated[float, Field(ge=0)]


class NotifierSettings(CommonSettings):
    notifier_host: str = "127.0.0.1"
    notifier_port: int = 8002
    # Prometheus's own port: the console's port serves no /metrics, since the metrics count
    # each district's alerts (docs/metrics.md). Bind it where only the monitoring system reaches.
    notifier_metrics_host: str = "127.0.0.1"
    notifier_metrics_port: int = 9102
    # Notifiers sharing a group share the alert partitions (and must share the database).
    # It begins with crosslink-notifier: the notifier's permission is on that prefix.
    notifier_group_id: Annotated[str, Field(pattern=rf"^{NOTIFIER_GROUP_PREFIX}")] = (
        NOTIFIER_GROUP_PREFIX
    )
    # sqlite:///path (default, embedded) or postgresql://user:password@host:port/database.
    database_url: str = DEFAULT_DATABASE_URL
    # Delay before each attempt of one delivery; after the last one it is dead-lettered.
    retry_schedule_s: Annotated[tuple[Seconds, ...], Field(min_length=1)] = DEFAULT_RETRY_SCHEDULE_S
    retry_jitter: Annotated[float, Field(ge=0, le=0.5)] = 0.2  # each delay varies by ±20 %
    retry_after_cap_s: Seconds = 36000.0  # a receiver's Retry-After is honoured up to this
    webhook_timeout_s: Annotated[float, Field(gt=0)] = 10.0
    max_concurrent_deliveries: Annotated[int, Field(ge=1)] = 16
    # One district's share of them: a slow or hanging endpoint holds no more than this.
    max_concurrent_deliveries_per_district: Annotated[int, Field(ge=1)] = 4
    # Offsets of stored alerts are committed at most this often; a repeat is ignored by key.
    commit_interval_s: Seconds = 1.0
    # An alert nobody acknowledged within this time is re-notified once and escalated to the
    # district's supervisor (their console's overdue page); after the second, to the state nodal
    # officer (the state page).
    escalate_after_s: Annotated[float, Field(gt=0)] = 4 * 3600.0
    escalate_to_state_after_s: Annotated[float, Field(gt=0)] = 24 * 3600.0
    housekeeping_interval_s: Annotated[float, Field(gt=0)] = 15.0
    # Email is off until an SMTP host is set.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_s: Annotated[float, Field(gt=0)] = 30.0
    email_from: str = "crosslink <alerts@crosslink.invalid>"
    inbox_page_size_max: Annotated[int, Field(ge=1, le=500)] = 100
    # The district console (docs/console.md): signs its session cookies and CSRF tokens.
    console_session_key: Annotated[SecretStr, Field(min_length=32)] = SecretStr(
        DEV_CONSOLE_SESSION_KEY
    )
    console_session_lifetime_s: Annotated[float, Field(gt=0)] = 8 * 3600.0  # one shift
    # Cookies are Secure when the request came over https; set this behind a TLS proxy that
    # forwards plain http.
    console_secure_cookies: bool = False
    # Wrong second-factor codes in a row, after the right password, that lock an account
    # until `crosslink officers enable` (its password is known to someone without the phone).
    console_lock_after_wrong_codes: Annotated[int, Field(ge=1)] = 5
    console_poll_interval_s: Annotated[float, Field(gt=0)] = 5.0  # the inbox's live updates
    # Where the console's Devanagari font is read from: Debian's fonts-noto-core.
    console_fonts_dir: Path = Path("/usr/share/fonts/truetype/noto")
    # Single sign-on with the state's OpenID Connect provider (docs/console.md#single-sign-on):
    # its issuer (discovery at <issuer>/.well-known/openid-configuration) and this console's
    # client there. All three, or none (then officers sign in with password and code only).
    console_oidc_issuer: str | None = None
    console_oidc_client_id: str | None = None
    console_oidc_client_secret: SecretStr | None = None
    # The callback URL registered at the provider, when the console's public address is not
    # what requests show it (behind a proxy that does not forward its scheme and host).
    console_oidc_redirect_url: str | None = None
    # Look-ups (docs/console.md#look-ups) are relayed to intake, the only service that may read
    # a typed value, with this key (listed under `lookup_relays` in the districts directory).
    # Unset, look-ups are off and answer 503.
    intake_url: HttpUrl = HttpUrl("http://127.0.0.1:8000")
    lookup_relay_key: SecretStr | None = None
    lookup_timeout_s: Annotated[float, Field(gt=0)] = 10.0
    # Each officer (and each district's integrator key) may look up this many identifiers an
    # hour on average, in bursts of up to `lookup_burst`.
    lookups_per_hour: Annotated[float, Field(gt=0)] = 60.0
    lookup_burst: Annotated[int, Field(ge=1)] = 10
    # Where the console reads a gang's page (docs/console.md#gang-pages): any matcher worker,
    # which passes the request on to the one holding the clusters table; within
    # `lookup_timeout_s`.
    matcher_url: HttpUrl = HttpUrl("http://127.0.0.1:6066")

    @field_validator("retry_schedule_s")
    @classmethod
    def _first_attempt_at_once(cls, schedule: tuple[float, ...]) -> tuple[float, ...]:
        if schedule[0] != 0:
            raise ValueError("the retry schedule starts with 0: the first attempt is immediate")
        return schedule

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, url: str) -> str:
        if not url.startswith(("sqlite:", "postgresql:", "postgres:")):
            raise ValueError("CROSSLINK_DATABASE_URL must be a sqlite:/// or postgresql:// URL")
        return url

    @model_validator(mode="after")
    def _state_after_supervisor(self) -> Self:
        if self.escalate_to_state_after_s <= self.escalate_after_s:
            raise ValueError(
                "CROSSLINK_ESCALATE_TO_STATE_AFTER_S must be longer than "
                "CROSSLINK_ESCALATE_AFTER_S: an alert reaches the supervisor before the state"
            )
        return self

    @model_validator(mode="after")
    def _whole_sign_on(self) -> Self:
        given = [
            self.console_oidc_issuer,
            self.console_oidc_client_id,
            self.console_oidc_client_secret,
        ]
        if any(given) and not all(given):
            raise ValueError(
                "single sign-on needs CROSSLINK_CONSOLE_OIDC_ISSUER, "
                "CROSSLINK_CONSOLE_OIDC_CLIENT_ID and CROSSLINK_CONSOLE_OIDC_CLIENT_SECRET, "
                "all three"
            )
        return self

    @model_validator(mode="after")
    def _refuse_dev_console_key_in_production(self) -> Self:
        if self.env == "production" and (
            self.console_session_key.get_secret_value() == DEV_CONSOLE_SESSION_KEY
        ):
            raise ValueError("CROSSLINK_CONSOLE_SESSION_KEY must be set to a secret in production")
        return self


@lru_cache
def get_settings() -> NotifierSettings:
    return from_environment(NotifierSettings)
