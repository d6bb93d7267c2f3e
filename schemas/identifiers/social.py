"""Social profiles: (platform, handle or numeric id) from profile links or an @handle, and
WhatsApp groups and channels from their invite and channel links.

Only links that name a profile (or a WhatsApp group or channel) are accepted: a link to a post,
story, reel or search would otherwise give every complaint that pastes one the same "handle" and
link strangers.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from schemas.identifiers.model import InvalidIdentifier, mask_middle

_HOSTS = {
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "m.facebook.com": "facebook",
    "web.facebook.com": "facebook",
    "mbasic.facebook.com": "facebook",
    "instagram.com": "instagram",
    "instagr.am": "instagram",
    "t.me": "telegram",
    "telegram.me": "telegram",
    "telegram.dog": "telegram",
    "x.com": "x",
    "twitter.com": "x",
    "mobile.twitter.com": "x",
    "youtube.com": "youtube",
    "m.youtube.com": "youtube",
    "snapchat.com": "snapchat",
    "sharechat.com": "sharechat",
    "mojapp.in": "moj",
    "myjosh.in": "josh",
    "share.myjosh.in": "josh",
    "chat.whatsapp.com": "whatsapp",
    "whatsapp.com": "whatsapp",
}
PLATFORMS = frozenset(_HOSTS.values())
_ALIASES = {"fb": "facebook", "ig": "instagram", "twitter": "x", "tg": "telegram", "yt": "youtube"}
# First path segments that are site pages, not profiles (links to them are refused).
_NOT_PROFILES = {
    "facebook": {
        "groups",
        "pages",
        "events",
        "watch",
        "share",
        "sharer",
        "sharer.php",
        "story.php",
        "photo.php",
        "permalink.php",
        "photo",
        "photos",
        "posts",
        "videos",
        "reel",
        "marketplace",
        "hashtag",
        "login",
        "login.php",
        "help",
        "search",
        "messages",
    },
    "instagram": {"p", "reel", "reels", "tv", "explore", "direct", "accounts", "about", "legal"},
    "telegram": {"c", "joinchat", "s", "addstickers", "share", "proxy", "iv"},
    "x": {
        "i",
        "intent",
        "home",
        "search",
        "hashtag",
        "share",
        "explore",
        "settings",
        "messages",
        "notifications",
        "login",
        "compose",
    },
    "youtube": {"watch", "shorts", "results", "playlist", "feed", "live", "embed"},
    "snapchat": {"t", "discover", "spotlight", "lens", "unlock"},
    "sharechat": set(),  # these three: see _AT_OR_PROFILE
    "moj": set(),
    "josh": set(),
    "whatsapp": set(),  # only group and channel links name something (see _from_url)
}
_HANDLE = re.compile(r"[a-z0-9._-]{1,100}", re.ASCII)
# Namespaced handles: Facebook numeric ids; YouTube's legacy /c/ and /user/ names and channel
# ids, which are separate namespaces from @handles (channel ids are case-sensitive).
_NAMESPACES = {
    ("facebook", "id"): re.compile(r"[0-9]{1,30}", re.ASCII),
    ("youtube", "c"): _HANDLE,
    ("youtube", "user"): _HANDLE,
    ("youtube", "channel"): re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII),
    # WhatsApp group invite codes and channel ids are case-sensitive letters and digits.
    ("whatsapp", "group"): re.compile(r"[A-Za-z0-9]{16,32}", re.ASCII),
    ("whatsapp", "channel"): re.compile(r"[A-Za-z0-9]{16,40}", re.ASCII),
}
_CASE_SENSITIVE = {("youtube", "channel"), ("whatsapp", "group"), ("whatsapp", "channel")}


def _whatsapp_link_required() -> InvalidIdentifier:
    return InvalidIdentifier(
        "social.whatsapp_link_required",
        "paste the WhatsApp group's invite link (chat.whatsapp.com/...) or the channel's link "
        "(whatsapp.com/channel/...); a WhatsApp number is a phone",
    )


# India's short-video apps name a profile only as /@<handle> or /profile/<handle>.
_AT_OR_PROFILE = frozenset({"sharechat", "moj", "josh"})


def canonical_social(text: str, platform: str | None) -> tuple[str, str]:
    """("<platform>:<handle>", or with a namespace such as "facebook:id:<n>", masked)."""
    named, handle = _parse(text.strip(), platform)
    if platform and _platform(platform) != named:
        raise InvalidIdentifier(
            "social.platform_mismatch", f"the value names a {named} profile, not {platform}"
        )
    namespace, _, shown = handle.rpartition(":")
    if named == "whatsapp":  # a group or channel, not a person's @handle
        return f"{named}:{handle}", f"whatsapp {namespace} {mask_middle(shown, 2, 2)}"
    return f"{named}:{handle}", f"{named}:@{mask_middle(shown, 2, 2)}"


def _parse(text: str, platform: str | None) -> tuple[str, str]:
    prefix, colon, rest = text.partition(":")
    if colon and prefix.lower() in PLATFORMS and "/" not in rest:  # the canonical form itself
        named = prefix.lower()
        namespace, _, name = rest.rpartition(":")
        if named == "whatsapp" and namespace.lower() not in ("group", "channel"):
            raise _whatsapp_link_required()
        if (named, namespace.lower()) not in _CASE_SENSITIVE:
            name = name.lower()
        return named, _checked(named, namespace.lower(), name)
    if "/" in text or text.lower().split("/")[0].removeprefix("www.") in _HOSTS:
        return _from_url(text)
    named = _platform(platform)
    if named == "whatsapp":
        raise _whatsapp_link_required()
    return named, _checked("", "", text.removeprefix("@").lower())


def _checked(platform: str, namespace: str, name: str) -> str:
    """`name` (with its namespace) if it is a valid handle on `platform`."""
    pattern = _NAMESPACES.get((platform, namespace)) if namespace else _HANDLE
    if pattern is None or not pattern.fullmatch(name):
        raise InvalidIdentifier("social.invalid_handle", "not a profile handle or numeric id")
    return f"{namespace}:{name}" if namespace else name


def _platform(name: str | None) -> str:
    if not name:
        raise InvalidIdentifier(
            "social.platform_required",
            "give the platform (facebook, instagram, telegram, x, youtube, snapchat, "
            "sharechat, moj, josh) with an @handle, or paste the profile link",
        )
    platform = _ALIASES.get(name.strip().lower(), name.strip().lower())
    if platform not in PLATFORMS:
        raise InvalidIdentifier("social.unknown_platform", "not a platform crosslink knows")
    return platform


def _from_url(text: str) -> tuple[str, str]:
    try:
        url = urlsplit(text if "://" in text else f"https://{text}")
        host = (url.hostname or "").lower().removeprefix("www.")
    except ValueError:
        raise InvalidIdentifier("social.invalid_handle", "not a profile link") from None
    platform = _HOSTS.get(host)
    if platform is None:
        raise InvalidIdentifier("social.unknown_platform", "not a social site crosslink knows")
    parts = [part for part in url.path.split("/") if part]
    if platform == "whatsapp":
        return platform, _whatsapp(host, parts)
    return platform, _profile(platform, parts, parse_qs(url.query).get("id", [""])[0])


def _whatsapp(host: str, parts: list[str]) -> str:
    """A group from its invite link, a channel from its link; anything else is refused."""
    if host == "chat.whatsapp.com" and len(parts) == 1:
        return _checked("whatsapp", "group", parts[0])
    if host == "whatsapp.com" and len(parts) == 2 and parts[0].lower() == "channel":
        return _checked("whatsapp", "channel", parts[1])
    raise InvalidIdentifier(
        "social.not_a_profile",
        "a WhatsApp link names a group (chat.whatsapp.com/...) or a channel "
        "(whatsapp.com/channel/...); a chat link names a phone",
    )


def _profile(platform: str, parts: list[str], query_id: str) -> str:
    """The handle named by a profile link's path, or InvalidIdentifier for any other page."""
    head = parts[0].lower() if parts else ""
    second = parts[1] if len(parts) >= 2 else ""
    if platform == "facebook" and head == "profile.php":
        return _checked(platform, "id", query_id)
    if platform == "facebook" and head == "people" and len(parts) >= 3:
        return _checked(platform, "id", parts[2])
    if platform == "instagram" and head == "stories" and second:
        return _checked(platform, "", second.lower())
    if platform == "youtube" and head in ("c", "user", "channel") and second:
        return _checked(platform, head, second if head == "channel" else second.lower())
    if platform == "snapchat" and head == "add" and second:
        return _checked(platform, "", second.lower().removeprefix("@"))
    if platform in _AT_OR_PROFILE:
        if head == "profile" and second:
            return _checked(platform, "", second.lower().removeprefix("@"))
        if head.startswith("@") and len(head) > 1:
            return _checked(platform, "", head[1:])
        raise InvalidIdentifier(
            "social.not_a_profile", "the link is to a post or page, not a profile"
        )
    if not head or head in _NOT_PROFILES[platform] or (platform == "telegram" and head[0] == "+"):
        raise InvalidIdentifier(
            "social.not_a_profile", "the link is to a post or page, not a profile"
        )
    if platform == "facebook" and head.isascii() and head.isdigit():
        return _checked(platform, "id", head)
    return _checked(platform, "", head.removeprefix("@"))
