"""Envoy's routes, gathered under one router that ``create_app`` mounts at ``/api/v1``."""

from fastapi import APIRouter

from . import auth, loads, webhooks

api_router = APIRouter()
api_router.include_router(auth.router)
api_router.include_router(loads.router)
api_router.include_router(webhooks.router)
