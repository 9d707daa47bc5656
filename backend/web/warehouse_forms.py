"""The warehouse office's forms: reading what a person typed into the numbers and ids the stock
service takes, the words for what is wrong with a field, and the words for the service's
refusals (not enough stock, nothing reserved to release...).

Parsing is strict and says which mistake was made (not a number, zero or negative, too large,
reason missing): the service would refuse the same input, but with a message for programs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from backend.core.errors import AppError, Conflict, NotFound
from backend.core.model_base import MovementKind
from backend.stock.models import MAX_QUANTITY
from backend.stock.service import InsufficientStock
from backend.web.i18n import N_

REASON_MAX = 500


class Operation(StrEnum):
    """The forms of the stock page, by the address they post to (`/warehouse/<value>`)."""

    receipt = "receipts"
    shipment = "shipments"
    transfer = "transfers"
    adjustment = "adjustments"
    reservation = "reservations"
    release = "releases"


KIND_OF = {
    Operation.receipt: MovementKind.receipt,
    Operation.shipment: MovementKind.shipment,
    Operation.reservation: MovementKind.reservation,
    Operation.release: MovementKind.release,
}
OPERATION_TITLES = {
    Operation.receipt: N_("Receive goods"),
    Operation.shipment: N_("Ship goods (not for an order)"),
    Operation.transfer: N_("Transfer to another warehouse"),
    Operation.adjustment: N_("Adjust after a stock-take"),
    Operation.reservation: N_("Reserve stock"),
    Operation.release: N_("Release reserved stock"),
}
OPERATION_BUTTONS = {
    Operation.receipt: N_("Receive"),
    Operation.shipment: N_("Ship"),
    Operation.transfer: N_("Transfer"),
    Operation.adjustment: N_("Record the adjustment"),
    Operation.reservation: N_("Reserve"),
    Operation.release: N_("Release"),
}
OPERATION_DONE: dict[str, str] = {
    Operation.receipt: N_("The receipt is recorded."),
    Operation.shipment: N_("The shipment is recorded."),
    Operation.transfer: N_("The transfer is recorded in both warehouses."),
    Operation.adjustment: N_("The adjustment is recorded (and in the action log)."),
    Operation.reservation: N_("The stock is reserved."),
    Operation.release: N_("The reserved stock is released."),
    "threshold": N_("The low-stock threshold is saved."),
}
KIND_NAMES = {
    MovementKind.receipt: N_("receipt"),
    MovementKind.shipment: N_("shipment"),
    MovementKind.transfer_out: N_("transfer out"),
    MovementKind.transfer_in: N_("transfer in"),
    MovementKind.adjustment: N_("adjustment"),
    MovementKind.reservation: N_("reservation"),
    MovementKind.release: N_("release"),
    MovementKind.return_: N_("return"),
}

CHOOSE_PRODUCT = N_("Choose a product.")
CHOOSE_TARGET = N_("Choose the warehouse to send to: another one than this.")
NOT_A_NUMBER = N_("Enter a whole number of units, like 12.")
QUANTITY_RANGE = N_("Enter a quantity from 1 to %(max)s.")
DELTA_NOT_A_NUMBER = N_("Enter a whole number with its sign: +5 adds units, -3 writes them off.")
DELTA_ZERO = N_("The change cannot be zero.")
DELTA_RANGE = N_("Enter a change from -%(max)s to +%(max)s.")
THRESHOLD_RANGE = N_("Enter a whole number from 0 to %(max)s.")
REASON_MISSING = N_("Give the reason: the stock-take, damage, loss...")
REASON_LONG = N_("At most %(max)s characters.")
DATE_INVALID = N_("Enter a date like 2026-01-31.")

NOT_ENOUGH = N_(
    "Not enough stock: %(available)s available, %(requested)s asked for (short by %(shortfall)s)."
)
NOT_RESERVED = N_("Only %(reserved)s reserved here: %(requested)s cannot be released.")
INACTIVE = N_("This warehouse is inactive: it takes in no goods.")
NOT_SHIPPABLE = {
    "placed": N_("Order %(id)s is not paid yet: it ships once finance records its payment."),
    "shipped": N_("Order %(id)s is already shipped."),
    "cancelled": N_("Order %(id)s is cancelled: it does not ship."),
    "returned": N_("Order %(id)s was shipped and returned."),
}
REFUSED = N_("The warehouse service refused: %(reason)s")


@dataclass(frozen=True)
class Problem:
    """A message (translated when the page renders) and its values."""

    text: str
    params: dict[str, object] = field(default_factory=dict)


def parse_int(value: str) -> int | None:
    """A whole number as people type it (spaces around, a leading +); None if it is not one."""
    text = value.strip().replace("\u00a0", "").replace(" ", "")
    if not text or not text.lstrip("+-").isdigit() or len(text) > 20:
        return None
    return int(text)


def parse_quantity(value: str) -> tuple[int | None, Problem | None]:
    number = parse_int(value)
    if number is None:
        return None, Problem(NOT_A_NUMBER)
    if not 0 < number <= MAX_QUANTITY:
        return None, Problem(QUANTITY_RANGE, {"max": MAX_QUANTITY})
    return number, None


def parse_delta(value: str) -> tuple[int | None, Problem | None]:
    number = parse_int(value)
    if number is None:
        return None, Problem(DELTA_NOT_A_NUMBER)
    if number == 0:
        return None, Problem(DELTA_ZERO)
    if abs(number) > MAX_QUANTITY:
        return None, Problem(DELTA_RANGE, {"max": MAX_QUANTITY})
    return number, None


def parse_threshold(value: str) -> tuple[int | None, Problem | None]:
    number = parse_int(value)
    if number is None or not 0 <= number <= MAX_QUANTITY:
        return None, Problem(THRESHOLD_RANGE, {"max": MAX_QUANTITY})
    return number, None


def parse_reason(value: str, *, required: bool) -> tuple[str | None, Problem | None]:
    text = value.strip()
    if len(text) > REASON_MAX:
        return None, Problem(REASON_LONG, {"max": REASON_MAX})
    if not text and required:
        return None, Problem(REASON_MISSING)
    return text or None, None


def parse_choice(value: str, known: set[int]) -> int | None:
    number = parse_int(value)
    return number if number is not None and number in known else None


def refusal(error: AppError, *, warehouse_active: bool = True) -> Problem:
    """The service's refusal in words a person reads; one the office has no words for keeps
    the service's own message."""
    details = error.details if isinstance(error.details, dict) else {}
    if isinstance(error, InsufficientStock):
        return Problem(
            NOT_ENOUGH,
            {
                "available": details.get("available", 0),
                "requested": details.get("requested", 0),
                "shortfall": details.get("shortfall", 0),
            },
        )
    if isinstance(error, Conflict) and "reserved" in details:
        return Problem(
            NOT_RESERVED,
            {"reserved": details["reserved"], "requested": details.get("requested", 0)},
        )
    if isinstance(error, Conflict) and not warehouse_active:
        return Problem(INACTIVE)
    if isinstance(error, NotFound):
        return Problem(CHOOSE_PRODUCT)
    return Problem(REFUSED, {"reason": error.message})
