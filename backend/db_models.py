"""Every table, registered on `SQLModel.metadata`: import this module before using the whole schema.

Each domain package keeps its own tables in its `models.py`; Alembic's environment
(`backend/migrations/env.py`), start-up (`backend/bootstrap.py`) and the tests that walk every
table import this one module so that none is missed. A new domain adds its `models` here.
"""

from backend.accounts import models as accounts_models
from backend.admin_log import models as admin_log_models
from backend.bank_payouts import models as bank_payouts_models
from backend.cards import models as cards_models
from backend.catalog import models as catalog_models
from backend.chain_jobs import models as chain_jobs_models
from backend.company import models as company_models
from backend.documents import models as documents_models
from backend.genealogy import models as genealogy_models
from backend.orders import models as orders_models
from backend.payees import models as payees_models
from backend.periods import models as periods_models
from backend.periods import sales_plan as sales_plan_models
from backend.rates import models as rates_models
from backend.stock import models as stock_models
from backend.training import models as training_models
from backend.vat import models as vat_models

__all__ = [
    "accounts_models",
    "admin_log_models",
    "bank_payouts_models",
    "cards_models",
    "catalog_models",
    "chain_jobs_models",
    "company_models",
    "documents_models",
    "genealogy_models",
    "orders_models",
    "payees_models",
    "periods_models",
    "rates_models",
    "sales_plan_models",
    "stock_models",
    "training_models",
    "vat_models",
]
