"""Validated value types shared by the request models."""

import re
from datetime import UTC, datetime
from typing import Annotated

from eth_utils.address import is_checksum_address, is_hex_address, to_checksum_address
from pydantic import AfterValidator, AwareDatetime, StringConstraints
from pydantic_core import PydanticCustomError

from ledger.money import ISO_CURRENCIES

# Ids are 32-bit INTEGER columns on PostgreSQL; an id beyond them can only be "not found", and
# the database would refuse to even compare it (SQLite: any integer beyond int64).
MAX_ID = 2**31 - 1
MAX_INT64 = 2**63 - 1  # BIGINT columns (money, points, token amounts)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Precompiles live at the lowest addresses (0x01-0x0a on Ethereum today, 0x0b-0x11 and 0x100
# since Prague and Osaka; rollups add their own): nobody holds a key for an address this low.
_LOWEST_KEY_ADDRESS = 0x10000
# Well-known addresses nobody can spend from: burn sinks and token-list placeholders.
_UNSPENDABLE = {
    int("dead000000000000000042069420694206942069", 16): "a well-known burn address",
    int("ff" * 20, 16): "the all-ones address, which nobody can hold a key for",
    int("ee" * 20, 16): "the placeholder token lists use for native ether",
}


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("not an e-mail address")
    return value.lower()


def _wallet(value: str) -> str:
    """EIP-55: all-lower or all-upper hex carries no checksum and is normalised; a mixed-case
    address must carry a correct checksum (a typo in it is exactly what EIP-55 catches)."""
    if not value.startswith("0x") or not is_hex_address(value):
        raise ValueError("not a 20-byte 0x-prefixed hex address")
    body = value[2:]
    if body == body.lower() or body == body.upper():
        value = to_checksum_address(value)
    elif not is_checksum_address(value):
        raise ValueError("mixed-case address with a wrong EIP-55 checksum")
    _payable(value)
    return value


def _payable(address: str) -> None:
    """Refuse addresses a payout sent to would be lost: nobody holds their key."""
    number = int(address, 16)
    if number == 0:
        reason = "the zero address"
    elif number < _LOWEST_KEY_ADDRESS:
        reason = "reserved for precompiles and burns (every address below 0x...010000)"
    else:
        found = _UNSPENDABLE.get(number)
        if found is None:
            return
        reason = found
    raise PydanticCustomError(
        "wallet_not_payable",
        "{address} is {reason}: a payout sent there is lost; give a wallet its owner controls",
        {"address": address, "reason": reason},
    )


Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)
]
WalletAddress = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_wallet)]


def _known_currency(value: str) -> str:
    """An ISO 4217 code the ledger can convert (``ledger.money.ISO_CURRENCIES``): a typo such as
    `RBU` or `XYZ` would otherwise open a price list or record a payment in a currency nobody
    can pay in, and a currency the ledger does not know could never be in a period."""
    if value not in ISO_CURRENCIES:
        raise PydanticCustomError(
            "unknown_currency",
            "{currency} is not a known ISO 4217 currency code",
            {"currency": value},
        )
    return value


Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(_known_currency)]
Sku = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9._-]{1,64}$")]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{3,40}$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
WarehouseCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the date is out of range once converted to UTC") from None


# A timestamp with its offset (`Z` or `+03:00`), normalised to UTC: a naive one would be
# compared with UTC columns as if it were UTC, which is a guess about the caller's zone.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]
