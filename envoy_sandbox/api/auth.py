"""Login: email and password for a bearer token (for users who belong to several orgs)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from .. import auth
from ..config import TOKEN_TTL
from ..errors import error_responses
from .deps import DbDep, SettingsDep, TokenSecretDep

# A login is not rate-limited and names no organization: no 429, no 403.
router = APIRouter(prefix="/auth", tags=["auth"], responses=error_responses(400, 401, 413, 422))


class LoginBody(BaseModel):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=200)


class Token(BaseModel):
    access_token: str = Field(
        description=f"Valid for {TOKEN_TTL // 3600} hours (the sandbox's token_ttl setting)."
    )
    token_type: Literal["bearer"] = "bearer"


@router.post("/login", response_model=Token)
def login(body: LoginBody, db: DbDep, settings: SettingsDep, secret: TokenSecretDep) -> Token:
    token = auth.login(db, secret, body.email, body.password, settings.token_ttl)
    return Token(access_token=token)
