"""A real OpenID Connect provider on this machine (panva/node-oidc-provider, run by Node.js) for
the console's single sign-on tests: its development sign-in takes any name, whose `sub` is that
name. Installed from harness/oidc_provider/package-lock.json on first use; never deployed."""

from __future__ import annotations

import os
import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from harness.ports import free_port
from harness.processes import terminate, wait_until_answering

PROVIDER_DIR = Path(__file__).parent / "oidc_provider"


def install() -> None:
    """The provider's Node.js packages, exactly as locked (once)."""
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, check=True)


@dataclass
class LocalOidcProvider:
    """The provider, with one client: the console whose callback is `redirect_uri`."""

    redirect_uri: str
    log_path: Path
    port: int = field(default_factory=free_port)
    client_id: str = "crosslink-console"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log: IO[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def console_settings(self) -> dict[str, str]:
        """The notifier's environment for signing on here."""
        return {
            "CROSSLINK_CONSOLE_OIDC_ISSUER": self.issuer,
            "CROSSLINK_CONSOLE_OIDC_CLIENT_ID": self.client_id,
            "CROSSLINK_CONSOLE_OIDC_CLIENT_SECRET": self.client_secret,
        }

    def start(self) -> LocalOidcProvider:
        install()
        env = {
            **os.environ,
            "ISSUER": self.issuer,
            "PORT": str(self.port),
            "CLIENT_ID": self.client_id,
            "CLIENT_SECRET": self.client_secret,
            "REDIRECT_URI": self.redirect_uri,
        }
        self._log = self.log_path.open("wb")
        command = ["node", "provider.mjs"]
        self._process = subprocess.Popen(
            command, cwd=PROVIDER_DIR, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        discovery = f"{self.issuer}/.well-known/openid-configuration"
        wait_until_answering(discovery, self._process, name="oidc-provider", timeout_s=60)
        return self

    def stop(self) -> None:
        terminate(self._process, 10)
        self._process = None
        if self._log is not None:
            self._log.close()

    def __enter__(self) -> LocalOidcProvider:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()
