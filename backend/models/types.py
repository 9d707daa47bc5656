"""Validated value types shared by the request models."""

import re
from typing import Annotated

from eth_utils.address import is_checksum_address, is_hex_address, to_checksum_address
from pydantic import AfterValidator, StringConstraints

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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
        return to_checksum_address(value)
    if not is_checksum_address(value):
        raise ValueError("mixed-case address with a wrong EIP-55 checksum")
    return value


Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)
]
WalletAddress = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_wallet)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Sku = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9._-]{1,64}$")]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{3,40}$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
WarehouseCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
