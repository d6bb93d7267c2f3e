"""Crypto wallets: Bitcoin (base58check, bech32/bech32m), Ethereum (EIP-55), Tron (base58check)."""

from __future__ import annotations

import hashlib
import re

from Crypto.Hash import keccak

from schemas.identifiers.model import InvalidIdentifier, mask_middle

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_CONSTANTS = {1, 0x2BC830A3}  # bech32 (BIP-173) and bech32m (BIP-350)


def canonical_wallet(text: str) -> tuple[str, str]:
    """("<chain>:<address>", masked), or InvalidIdentifier."""
    address = text.strip()
    for chain_prefix in ("btc:", "eth:", "trx:"):
        address = address.removeprefix(chain_prefix)
    lowered = address.lower()
    if lowered.startswith(("bc1", "tb1")):
        chain, canonical = "btc", _bech32(address)
    elif re.fullmatch(r"0x[0-9a-fA-F]{40}", address):
        chain, canonical = "eth", _ethereum(address)
    elif address[:1] == "T":
        chain, canonical = "trx", _base58check(address, versions={0x41}, length=25)
    elif address[:1] in "13":
        chain, canonical = "btc", _base58check(address, versions={0x00, 0x05}, length=25)
    else:
        raise InvalidIdentifier(
            "crypto_wallet.unknown_format",
            "crosslink reads Bitcoin (1…, 3…, bc1…), Ethereum (0x…) and Tron (T…) addresses",
        )
    return f"{chain}:{canonical}", f"{chain}:{mask_middle(canonical, 4, 4)}"


def _bad_checksum() -> InvalidIdentifier:
    return InvalidIdentifier(
        "crypto_wallet.bad_checksum", "this address's checksum does not match: a character is off"
    )


def _base58check(address: str, *, versions: set[int], length: int) -> str:
    number = 0
    for char in address:
        if char not in _B58:
            raise _bad_checksum()
        number = number * 58 + _B58.index(char)
    leading_zeros = len(address) - len(address.lstrip("1"))
    raw = b"\0" * leading_zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")
    payload, checksum = raw[:-4], raw[-4:]
    digest = hashlib.sha256(hashlib.sha256(payload).digest()).digest()
    if len(raw) != length or digest[:4] != checksum or raw[0] not in versions:
        raise _bad_checksum()
    return address


def _bech32(address: str) -> str:
    if address != address.lower() and address != address.upper():
        raise _bad_checksum()  # BIP-173 forbids mixed case
    address = address.lower()
    hrp, _, data = address.rpartition("1")
    if hrp not in ("bc", "tb") or len(data) < 7 or any(c not in _BECH32 for c in data):
        raise _bad_checksum()
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    values += [_BECH32.index(c) for c in data]
    if _polymod(values) not in _BECH32_CONSTANTS:
        raise _bad_checksum()
    return address


def _polymod(values: list[int]) -> int:
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit in range(5):
            checksum ^= generator[bit] if (top >> bit) & 1 else 0
    return checksum


def _ethereum(address: str) -> str:
    hex_part = address[2:]
    if hex_part not in (hex_part.lower(), hex_part.upper()) and _eip55(hex_part) != hex_part:
        raise _bad_checksum()
    return "0x" + hex_part.lower()


def _eip55(hex_part: str) -> str:
    """The EIP-55 mixed-case checksum form of a 40-hex-digit address."""
    lower = hex_part.lower()
    digest = keccak.new(digest_bits=256, data=lower.encode()).hexdigest()
    return "".join(
        c.upper() if int(d, 16) >= 8 else c for c, d in zip(lower, digest[:40], strict=True)
    )
