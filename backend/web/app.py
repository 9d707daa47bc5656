"""Adds the pages to the app: templates per language, the page routes, `/static`, error pages."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from backend.web.i18n import HERE, build_environments
from backend.web.render import install_page_errors
from backend.web.routes import router

STATIC_DIR = HERE / "static"


def mount_pages(app: FastAPI) -> None:
    """Call after `install_error_handlers`: page errors wrap the API's JSON handlers."""
    app.state.page_environments = build_environments()
    install_page_errors(app)
    app.include_router(router)
    # check_dir=False: the vendor scripts are copied by `make setup`; our CSS is in the tree.
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
