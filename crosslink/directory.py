"""The districts directory: who each district is, where its alerts go, which keys post for it.

One YAML file (CROSSLINK_DISTRICTS_FILE). Integrator keys are stored only as SHA-256 hashes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    ValidationError,
    field_validator,
    model_validator,
)

from crosslink.i18n import Language
from schemas.api import DISTRICT_CODE_PATTERN, PhoneToCall

WebhookSecret = Annotated[str, Field(pattern=r"^whsec_[A-Za-z0-9+/=]{16,}$")]
ContactAddress = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
KeyHash = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


DutyPhone = PhoneToCall

log = logging.getLogger(__name__)


class Webhook(BaseModel):
    """Where a district's case-management system receives alerts, and the secrets to sign with.

    Every secret listed signs each webhook: during a rotation list the new and the old one, so
    the receiver verifies with whichever it holds, then drop the old one (docs/webhooks.md).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: HttpUrl
    secrets: Annotated[tuple[WebhookSecret, ...], Field(min_length=1, max_length=3)]

    @field_validator("secrets")
    @classmethod
    def _secrets_are_base64(cls, secrets: tuple[str, ...]) -> tuple[str, ...]:
        for secret in secrets:
            try:
                key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
            except binascii.Error:
                raise ValueError("a webhook secret must be whsec_ followed by base64") from None
            if len(key) < 16:
                raise ValueError("a webhook secret must hold at least 16 bytes of key")
        return secrets


class District(BaseModel):
    """A district cyber cell. Without a webhook or email it still has its inbox (the notifier)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Annotated[str, Field(pattern=DISTRICT_CODE_PATTERN)]
    name: str
    state: str
    webhook: Webhook | None = None
    email: tuple[ContactAddress, ...] = ()
    phone: tuple[DutyPhone, ...] = ()  # the cell's duty phone, for another district to call
    # The language its emails are written in and its console opens in (crosslink.i18n); unset,
    # emails are in English and the console follows each officer's browser.
    language: Language | None = None
    api_key_sha256: tuple[KeyHash, ...] = ()

    @property
    def key_actor(self) -> str:
        """Its integrator key as audit entries and events name who acted."""
        return key_actor(self.code)


def key_actor(district: str) -> str:
    """A district's integrator key as audit entries and events name who acted."""
    return f"key:{district}"


class KeyHolder(BaseModel):
    """A key holder not tied to a district: a registry administrator, an operator, or the
    notifier relaying officers' look-ups to intake."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    api_key_sha256: tuple[KeyHash, ...]


@dataclass(frozen=True)
class Caller:
    """Who an API key belongs to: a district's integrator, a registry administrator, an
    operator (who reads operations data, never a district's alerts) or a look-up relay (the
    notifier, asking intake on behalf of an officer it has authenticated and audits)."""

    name: str
    district: District | None = None
    registry_admin: bool = False
    operator: bool = False
    lookup_relay: bool = False


class DistrictsDirectory(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    districts: tuple[District, ...]
    # The demo directory says so: its keys and secrets are public, production refuses it.
    demo: bool = False
    registry_admins: tuple[KeyHolder, ...] = ()
    operators: tuple[KeyHolder, ...] = ()
    lookup_relays: tuple[KeyHolder, ...] = ()

    @model_validator(mode="after")
    def _codes_are_unique(self) -> DistrictsDirectory:
        codes = [district.code for district in self.districts]
        if len(codes) != len(set(codes)):
            raise ValueError("district codes must be unique")
        hashes = [
            *(digest for district in self.districts for digest in district.api_key_sha256),
            *(
                digest
                for h in (*self.registry_admins, *self.operators, *self.lookup_relays)
                for digest in h.api_key_sha256
            ),
        ]
        if len(hashes) != len(set(hashes)):
            raise ValueError("an api_key_sha256 appears twice: each key belongs to one holder")
        return self

    def get(self, code: str) -> District | None:
        return next((d for d in self.districts if d.code == code), None)

    def caller_for_api_key(self, api_key: str) -> Caller | None:
        """Who holds `api_key`, or None for an unknown key."""
        return self._callers_by_digest.get(hash_api_key(api_key))

    @cached_property
    def _callers_by_digest(self) -> dict[str, Caller]:
        """Built once per directory load: a scan with compare_digest grew with the number of
        districts (India has about 780). A dict lookup of the SHA-256 of a high-entropy key
        leaks nothing usable through its timing."""
        callers: dict[str, Caller] = {}
        for district in self.districts:
            callers |= dict.fromkeys(
                district.api_key_sha256, Caller(name=district.code, district=district)
            )
        for admin in self.registry_admins:
            callers |= dict.fromkeys(
                admin.api_key_sha256, Caller(name=admin.name, registry_admin=True)
            )
        for operator in self.operators:
            callers |= dict.fromkeys(
                operator.api_key_sha256, Caller(name=operator.name, operator=True)
            )
        for relay in self.lookup_relays:
            callers |= dict.fromkeys(
                relay.api_key_sha256, Caller(name=relay.name, lookup_relay=True)
            )
        return callers


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


@dataclass(frozen=True)
class DirectoryProblem:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field or 'file'}: {self.message}"


class DirectoryError(ValueError):
    """The districts file is missing or malformed; the message names the file and each problem
    with its line."""

    def __init__(self, message: str, problems: Sequence[DirectoryProblem] = ()) -> None:
        super().__init__(message + "".join(f"\n  {problem}" for problem in problems))
        self.problems = list(problems)


def load_directory(path: Path) -> DistrictsDirectory:
    """Read and validate the districts file, or raise DirectoryError saying what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DirectoryError(f"cannot read districts file {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise DirectoryError(f"districts file {path} is not UTF-8 text") from None
    try:
        return DistrictsDirectory.model_validate(yaml.safe_load(text))
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else 1
        problem = DirectoryProblem(line, "", f"not valid YAML: {error.problem}")
        raise DirectoryError(f"districts file {path} is invalid:", [problem]) from None
    except yaml.YAMLError as error:
        raise DirectoryError(f"districts file {path} is not valid YAML: {error}") from None
    except ValidationError as error:
        root = yaml.compose(text)
        problems = [
            DirectoryProblem(_line_of(root, e["loc"]), _dotted(e["loc"]), e["msg"])
            for e in error.errors()
        ]
        raise DirectoryError(f"districts file {path} is invalid:", problems) from None


def _line_of(node: yaml.Node | None, loc: Sequence[int | str]) -> int:
    """The line of the deepest YAML node on the path `loc` (1 if the document is empty)."""
    if node is None:
        return 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if part < len(node.value) else None
        if child is None:
            break
        node = child
    return int(node.start_mark.line) + 1


def _dotted(loc: Sequence[int | str]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


class LiveDirectory:
    """The districts directory as the file says now: reloaded when the file changes (looked at
    most once every `check_interval_s`) or when `reload()` is called (SIGHUP). A revoked key is
    refused within seconds, without a restart. A file that does not load keeps the last good
    directory in force and logs why, so a typo never locks every district out."""

    def __init__(
        self,
        path: Path,
        *,
        check_interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._path = path
        self._interval = check_interval_s
        self._clock = clock
        self._directory = load_directory(path)
        self._stamp = _stamp(path)
        self._checked = clock()

    def current(self) -> DistrictsDirectory:
        if self._clock() - self._checked >= self._interval:
            self._checked = self._clock()
            if _stamp(self._path) != self._stamp:
                self.reload()
        return self._directory

    def reload(self) -> bool:
        """Load the file again; False (and the old directory kept) if it is invalid."""
        self._stamp = _stamp(self._path)
        try:
            self._directory = load_directory(self._path)
        except DirectoryError as error:
            problems = [str(p) for p in error.problems] or [str(error)]
            log.error(
                "districts file not reloaded; the previous one stays in force",
                extra={"problems": problems},
            )
            return False
        log.warning("districts file reloaded", extra={"districts": len(self._directory.districts)})
        return True


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size, status.st_ino)
