"""Table and API models. Importing this package registers every table on `SQLModel.metadata`."""

from backend.models.admin_log import AdminAction, AdminLogEntry
from backend.models.base import (
    ChainStatus,
    DistributorStatus,
    IntentStatus,
    MovementKind,
    OrderStatus,
    ProductCategory,
    Role,
)
from backend.models.catalog import PriceList, PriceListItem, Product
from backend.models.distributor import (
    Distributor,
    EnrollmentRequest,
    GenealogyState,
    HoldingTankEntry,
    Placement,
    StatusChangeRecord,
)
from backend.models.order import Order, OrderLine, Payment, RetailCustomer
from backend.models.outbox import ChainIntent
from backend.models.stock import StockItem, StockMovement, Warehouse
from backend.models.user import LoginThrottle, User
from backend.periods.models import (
    Period,
    PeriodBatch,
    PeriodChainJob,
    PeriodClawback,
    PeriodLine,
    PeriodPayee,
    PeriodReturn,
    PeriodStatus,
    PeriodTransition,
)

__all__ = [
    "AdminAction",
    "AdminLogEntry",
    "ChainIntent",
    "ChainStatus",
    "Distributor",
    "DistributorStatus",
    "EnrollmentRequest",
    "GenealogyState",
    "HoldingTankEntry",
    "IntentStatus",
    "LoginThrottle",
    "MovementKind",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Payment",
    "Period",
    "PeriodBatch",
    "PeriodChainJob",
    "PeriodClawback",
    "PeriodLine",
    "PeriodPayee",
    "PeriodReturn",
    "PeriodStatus",
    "PeriodTransition",
    "Placement",
    "PriceList",
    "PriceListItem",
    "Product",
    "ProductCategory",
    "RetailCustomer",
    "Role",
    "StatusChangeRecord",
    "StockItem",
    "StockMovement",
    "User",
    "Warehouse",
]
