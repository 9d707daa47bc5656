"""Service settings: one pydantic-settings class behind a cached `get_settings()`.

Every variable is read with the `LINEAGE_` prefix; the database URL is also accepted as the
conventional `DATABASE_URL`. Tests build `Settings(...)` directly and pass it to `create_app`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, IPvAnyNetwork, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PlacementStrategyName = Literal["outer-left", "outer-right", "weaker-leg", "breadth-first"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LINEAGE_", extra="ignore", populate_by_name=True, frozen=True
    )

    data_dir: Path = Field(default=Path("var"), description="Where the embedded defaults live.")
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("LINEAGE_DATABASE_URL", "DATABASE_URL", "database_url"),
        description="SQLAlchemy URL; default is a SQLite file `<data_dir>/lineage.db`.",
    )
    deployment_file: Path | None = Field(
        default=None, description="Deployment record; default `<data_dir>/deployment.json`."
    )
    secret_key: SecretStr | None = Field(
        default=None, description="JWT signing key; default generated into `<data_dir>/secret.key`."
    )
    payment_ref_salt: SecretStr | None = Field(
        default=None,
        description="Hex salt of bank payment references (at least 16 bytes); default "
        "generated into `<data_dir>/payment-ref.salt`.",
    )
    access_token_minutes: int = Field(default=8 * 60, gt=0)
    https: bool = Field(
        default=False,
        description="The site is served over https: the web pages' cookies are marked Secure.",
    )
    admin_email: str | None = None
    admin_password: SecretStr | None = None

    login_max_failures: int = Field(
        default=5, gt=0, description="Failed logins per account in a window before 429."
    )
    login_max_failures_per_address: int = Field(
        default=100,
        gt=0,
        description="Failed logins from one client address in a window (any accounts) before "
        "429; higher than per account, as an office or a mobile carrier shares one address.",
    )
    login_window_seconds: int = Field(default=300, gt=0)
    trusted_proxies: tuple[IPvAnyNetwork, ...] = Field(
        default=(),
        description="Reverse proxies whose X-Forwarded-For is believed (addresses or networks, "
        'a JSON list in the environment: `["10.0.0.0/8"]`). Empty: the client address is the '
        "connection's peer and forwarded headers are ignored.",
    )

    public_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="The site's public address (`https://office.example.com`): referral links, "
        "card QR codes and vCards use it. Unset: the address the request came to.",
    )
    signup_max_per_address: int = Field(
        default=10, gt=0, description="Public sign-ups from one client address in a window."
    )
    signup_window_seconds: int = Field(default=3600, gt=0)
    signup_min_fill_seconds: int = Field(
        default=3, ge=0, description="A sign-up form sent back sooner is refused (a script)."
    )
    signup_form_max_age_seconds: int = Field(
        default=2 * 3600, gt=0, description="A sign-up form older than this is refused."
    )

    compliance_retail_min_pct: int = Field(
        default=30,
        ge=0,
        le=100,
        description="The compliance report flags a payee whose retail customers' share of their "
        "PV is below this many per cent.",
    )
    compliance_consumption_times: int = Field(
        default=3,
        gt=0,
        description="Normal consumption: own purchases up to this many times the plan's "
        "activity min_pv in a period; the compliance report flags more.",
    )

    default_sponsor_id: int = Field(default=1, gt=0, description="Sponsor when none is given.")
    placement_strategy: PlacementStrategyName = "breadth-first"
    tree_width: int = Field(default=2, ge=0, description="2 = binary, w = matrix, 0 = unlimited.")
    holding_tank_days: int = Field(
        default=0, ge=0, description="Days a sponsor may place manually; 0 = place at once."
    )
    preview_minutes: int = Field(
        default=15,
        gt=0,
        description="How often the worker refreshes the open period's preview (the "
        "dashboard's estimates), in minutes.",
    )
    low_stock_default: int = Field(default=10, ge=0)
    vat_country: str = Field(
        default="RU",
        pattern=r"^[A-Z]{2}$",
        description="The seller's country (ISO 3166 alpha-2): whose VAT rates orders use.",
    )
    vat_exempt: bool = Field(
        default=False,
        description="The seller is exempt from VAT (Russia: the simplified system): every "
        'order line is in the "exempt" category and documents print "Без НДС".',
    )

    max_body_bytes: int = Field(
        default=128 * 1024, gt=0, description="Request body cap of ordinary JSON endpoints."
    )
    max_bulk_body_bytes: int = Field(
        default=4 * 1024 * 1024, gt=0, description="Body cap of batch enrollment and uploads."
    )
    max_json_depth: int = Field(default=64, gt=0, le=500, description="JSON nesting cap.")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Heroku-style URLs name the driver-less scheme; we ship psycopg 3.
            if url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url[len("postgres://") :]
            elif url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            return url
        return f"sqlite:///{(self.data_dir / 'lineage.db').as_posix()}"

    @property
    def resolved_deployment_file(self) -> Path:
        return self.deployment_file or self.data_dir / "deployment.json"


@lru_cache
def get_settings() -> Settings:
    return Settings()
