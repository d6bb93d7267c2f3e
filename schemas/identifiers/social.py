"""Social profiles: (platform, handle or numeric id) from profile URLs or an @handle."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from schemas.identifiers.model import InvalidIdentifier, mask_middle

# Host -> platform. Every platform listed folds handle case: each treats handles
# case-insensitively (a profile URL works in any case).
_HOSTS = {
    "facebook.com": "facebook", "fb.com": "facebook", "m.facebook.com": "facebook",
    "web.facebook.com": "facebook", "mbasic.facebook.com": "facebook",
    "instagram.com": "instagram", "instagr.am": "instagram",
    "t.me": "telegram", "telegram.me": "telegram", "telegram.dog": "telegram",
    "x.com": "x", "twitter.com": "x", "mobile.twitter.com": "x",
    "youtube.com": "youtube", "m.youtube.com": "youtube",
    "snapchat.com": "snapchat",
}  # fmt: skip
PLATFORMS = frozenset(_HOSTS.values())
_ALIASES = {"fb": "facebook", "ig": "instagram", "twitter": "x", "tg": "telegram", "yt": "youtube"}
_HANDLE = re.compile(r"[a-z0-9._-]{1,100}")
_NOT_PROFILES = {"profile.php", "share", "sharer", "watch", "channel", "p", "reel", "add", "s"}


def canonical_social(text: str, platform: str | None) -> tuple[str, str]:
    """("<platform>:<handle>" or "<platform>:id:<number>", masked), or InvalidIdentifier."""
    text = text.strip()
    prefix, colon, rest = text.partition(":")
    if colon and prefix.lower() in PLATFORMS and "/" not in rest:  # the canonical form itself
        platform, text = platform or prefix, rest
    if "/" in text or text.lower().split("/")[0].removeprefix("www.") in _HOSTS:
        named, handle = _from_url(text)
    else:
        named, handle = _platform(platform), text.removeprefix("@").lower()
    if platform and _platform(platform) != named:
        raise InvalidIdentifier(
            "social.platform_mismatch", f"the link is a {named} profile, not {platform}"
        )
    if handle.startswith("id:") and not handle[3:].isdigit():
        raise InvalidIdentifier("social.invalid_handle", "a numeric profile id has only digits")
    if not _HANDLE.fullmatch(handle.removeprefix("id:")):
        raise InvalidIdentifier("social.invalid_handle", "not a profile handle or numeric id")
    return f"{named}:{handle}", f"{named}:@{mask_middle(handle, 2, 2)}"


def _platform(name: str | None) -> str:
    if not name:
        raise InvalidIdentifier(
            "social.platform_required",
            "give the platform (facebook, instagram, telegram, x, youtube, snapchat) "
            "with an @handle, or paste the profile link",
        )
    platform = _ALIASES.get(name.strip().lower(), name.strip().lower())
    if platform not in PLATFORMS:
        raise InvalidIdentifier("social.unknown_platform", f"crosslink does not know '{name}'")
    return platform


def _from_url(text: str) -> tuple[str, str]:
    url = urlsplit(text if "://" in text else f"https://{text}")
    host = (url.hostname or "").lower().removeprefix("www.")
    platform = _HOSTS.get(host)
    if platform is None:
        raise InvalidIdentifier("social.unknown_platform", f"not a known social site: {host}")
    parts = [part for part in url.path.split("/") if part]
    if platform == "facebook" and parts[:1] == ["profile.php"]:
        ids = parse_qs(url.query).get("id", [""])
        return platform, f"id:{ids[0]}" if ids[0].isdigit() else ""
    if platform == "snapchat" and parts[:1] == ["add"]:
        parts = parts[1:]
    if platform == "youtube" and parts[:1] in (["c"], ["user"]):
        parts = parts[1:]
    if not parts or parts[0] in _NOT_PROFILES:
        raise InvalidIdentifier("social.invalid_handle", "the link is not a profile link")
    return platform, parts[0].removeprefix("@").lower()
