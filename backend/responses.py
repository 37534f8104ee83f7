"""The success bodies the API answers with, as pydantic models for /openapi.json."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel


class User(BaseModel):
    id: int
    name: str | None
    email: str
    entries: int
    joined: str | None
    age: int | None
    pet: str | None


class Profile(User):
    rank: int = Field(description="1 for the user with the most entries; ties share a place")
    totalUsers: int  # noqa: N815 - the wire name


class Session(BaseModel):
    success: Literal["true"]
    userId: int  # noqa: N815
    token: str
    user: User


class SessionByCode(Session):
    """A sign-in finished with a two-step code; with a recovery code, how many are left."""

    recoveryCodesLeft: int | None = None  # noqa: N815


class Registered(Session, User):
    """Register answers like sign-in, plus the user's fields at the top level."""


class Restored(BaseModel):
    id: int


class Done(BaseModel):
    success: Literal[True]


class SignedOutEverywhere(Done):
    revoked: int


class TwoStepStatus(BaseModel):
    enabled: bool
    recoveryCodesLeft: int | None = None  # noqa: N815 - present when enabled


class TwoStepSetup(BaseModel):
    secret: str = Field(description="The TOTP secret in base32, for typing into an app")
    uri: str = Field(description="The otpauth:// link, for a QR code")


class RecoveryCodes(BaseModel):
    recoveryCodes: list[str] = Field(description="Ten single-use codes, shown once")  # noqa: N815


class TwoStepEnabled(RecoveryCodes):
    enabled: Literal[True]


class TwoStepDisabled(BaseModel):
    enabled: Literal[False]


class AccountDeleted(Done):
    deleted: Literal[True]


class SessionInfo(BaseModel):
    id: str
    device: str
    created: str
    lastUsed: str  # noqa: N815
    current: bool


class Sessions(BaseModel):
    sessions: list[SessionInfo]


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unavailable"]
    redis: Literal["ok", "unavailable"]


class Success(RootModel[Literal["success"]]):
    """The original contract's bare JSON string."""


class EntryCount(RootModel[int]):
    """The new entry count, a bare JSON number as in the original contract."""


class BoundingBox(BaseModel):
    top_row: float = Field(ge=0, le=1)
    left_col: float = Field(ge=0, le=1)
    bottom_row: float = Field(ge=0, le=1)
    right_col: float = Field(ge=0, le=1)


class RegionInfo(BaseModel):
    bounding_box: BoundingBox


class Region(BaseModel):
    region_info: RegionInfo
    value: float


class RegionsData(BaseModel):
    regions: list[Region]


class Output(BaseModel):
    data: RegionsData


class Detection(BaseModel):
    """Clarifai's answer shape, which existing SmartBrain clients draw."""

    outputs: list[Output]


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str
    message: str
    requestId: str  # noqa: N815
    fields: dict[str, str] | None = None
    retryAfter: int | None = None  # noqa: N815
    challenge: str | None = Field(
        None, description="second_step_required: what POST /signin/code takes with a code"
    )
    expiresIn: int | None = Field(  # noqa: N815
        None, description="second_step_required: seconds the challenge lives"
    )


class Error(BaseModel):
    error: ErrorDetail
