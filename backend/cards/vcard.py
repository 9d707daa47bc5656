"""A card as a vCard 3.0 (RFC 2426): the contacts the partner chose to show, nothing else.

Values are escaped as the RFC asks (backslash, comma, semicolon, newline), lines end in CRLF
and are folded at 75 octets without splitting a UTF-8 character (RFC 2425 section 5.8.1), so
phone address books read Cyrillic names whole.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["VCardPerson", "escape", "fold", "vcard"]


@dataclass(frozen=True)
class VCardPerson:
    first_name: str
    last_name: str
    url: str
    email: str | None = None
    phone: str | None = None
    note: str | None = None


def escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
        .replace(",", "\\,")
        .replace(";", "\\;")
    )


def fold(line: str, limit: int = 75) -> str:
    """One content line as physical lines of at most `limit` octets; a continuation starts
    with a space (which counts in its octets)."""
    pieces: list[str] = []
    current, size, budget = "", 0, limit
    for char in line:
        width = len(char.encode())
        if size + width > budget:
            pieces.append(current)
            current, size, budget = "", 0, limit - 1
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def vcard(person: VCardPerson) -> str:
    last, first = escape(person.last_name), escape(person.first_name)
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"N:{last};{first};;;",
        f"FN:{escape(f'{person.first_name} {person.last_name}')}",
    ]
    if person.phone:
        lines.append(f"TEL;TYPE=CELL:{escape(person.phone)}")
    if person.email:
        lines.append(f"EMAIL;TYPE=INTERNET:{escape(person.email)}")
    lines.append(f"URL:{person.url}")  # a URI value: text escapes do not apply
    if person.note:
        lines.append(f"NOTE:{escape(person.note)}")
    lines.append("END:VCARD")
    return "".join(fold(line) + "\r\n" for line in lines)
