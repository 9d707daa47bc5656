"""`uvicorn --factory serve:app`: the real app on the settings of the environment (LINEAGE_*),
for the browser tests. No chain: the pages under test do not need one."""

from fastapi import FastAPI

from backend.main import create_app


def app() -> FastAPI:
    return create_app()
