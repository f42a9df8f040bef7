from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field


class TokenIn(Schema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)
    clinic: str | None = Field(default=None, max_length=60)
    otp: str | None = Field(default=None, max_length=32)


class TokenOut(Schema):
    token: str
    expires_at: datetime
    clinic: str
    role: str


class UserOut(Schema):
    id: UUID
    email: str
    first_name: str
    last_name: str


class ClinicOut(Schema):
    id: UUID
    slug: str
    name: str
    timezone: str
    currency: str


class MeOut(Schema):
    user: UserOut
    clinic: ClinicOut
    role: str
    permissions: list[str]
