"""Request and response models of the HTTP API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Level = Literal["非密", "内部", "秘密", "机密", "绝密"]
SecretLevel = Literal["秘密", "机密", "绝密"]
OrganLevel = Literal["中央", "省级", "设区的市", "县级"]
Role = Literal["drafter", "responsible", "archivist", "admin", "security", "auditor"]
Status = Literal["pending", "confirmed", "rejected", "escalated", "reported"]
Action = Literal["confirm", "change", "reject"]


def _storable(value: str) -> str:
    """Refuse text no database can store (NUL, unpaired surrogates)."""
    if "\x00" in value:
        raise ValueError("文本中含有不允许的 NUL 字符")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("文本不是有效的 Unicode") from None
    return value


Text = Annotated[str, AfterValidator(_storable)]


class Problem(BaseModel):
    """Error body detail."""

    code: str = Field(examples=["DM403"])
    message: str
    errors: list[dict[str, Any]] | None = Field(default=None, description="字段校验错误（仅 422）")


class ErrorBody(BaseModel):
    """Every error answer: ``{"detail": {"code", "message"}}``."""

    detail: Problem


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "缺少或无效的令牌"},
    403: {"model": ErrorBody, "description": "角色或权限不足"},
    422: {"model": ErrorBody, "description": "请求内容无效"},
}


class SuggestionCreate(BaseModel):
    """A document submitted as JSON."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[Text, Field(min_length=1, description="文件正文")]
    title: Annotated[Text, Field(max_length=500, description="标题")] = ""


class Entry(BaseModel):
    """A matched scope entry."""

    id: str
    regulation: str = ""
    item: str = ""
    level: str = ""
    score: float = 0.0


class Evidence(BaseModel):
    """A character span of the document supporting an entry."""

    start: int
    end: int
    text: str = ""
    entry_id: str = ""


class DecisionCreate(BaseModel):
    """A 定密责任人's decision on a suggestion."""

    model_config = ConfigDict(extra="forbid")

    action: Action = Field(description="confirm 确认建议；change 变更密级/期限/知悉范围；reject 确定为非密")
    level: Level | None = Field(default=None, description="change 时的密级")
    period: Annotated[Text, Field(max_length=32)] | None = Field(
        default=None,
        description="change 时的保密期限：“N年”“N个月”、解密时间“YYYY-MM-DD”或解密条件（如“启用前”）",
    )
    knowledge_scope: Annotated[Text, Field(max_length=2000)] = Field(default="", description="知悉范围")
    reason: Annotated[Text, Field(max_length=4000)] = Field(default="", description="理由；与建议不一致时必填")
    basis: Annotated[Text, Field(max_length=128)] | None = Field(
        default=None, description="定密依据：已加载目录中的条目编号，或 unclear（不明确事项，报请确定）"
    )
    basis_entry: Annotated[Text, Field(max_length=128)] | None = Field(
        default=None, description="旧名称，同 basis（两者都给出时必须相同）"
    )
    supersedes: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="变更已有决定时，引用当前决定的编号（仅限 change）"
    )


class DecisionPublic(BaseModel):
    """A stored decision."""

    id: int
    action: Action
    level: Level
    period: str
    marking: str
    knowledge_scope: str
    reason: str
    basis_entry: str
    basis: str = Field(default="", description="定密依据：条目编号、unclear（不明确事项）或空")
    basis_text: str = Field(default="", description="定密依据的规定和条款，如《…》第三条（二）5.")
    status: Status
    decided_by: int
    decided_by_name: str = Field(default="", description="定密责任人姓名")
    decided_at: datetime
    due_date: date | None
    expires_on: date | None
    supersedes: int | None


class EscalationCreate(BaseModel):
    """报请上级: to whom (a user name) and why."""

    model_config = ConfigDict(extra="forbid")

    to: Annotated[Text, Field(min_length=1, max_length=64, description="接收人的用户名（有相应定密权限的定密责任人）")]
    reason: Annotated[Text, Field(min_length=1, max_length=4000, description="报请理由")]


class EscalationPublic(BaseModel):
    """A 报请上级 and, once given, its answer."""

    id: int
    from_user: str
    to: str
    reason: str
    created_at: datetime
    due_date: date | None = Field(description="请在此日期前答复（10个工作日）")
    answered_at: datetime | None
    answer_decision_id: int | None


class SuggestionPublic(BaseModel):
    """A stored suggestion with its current decision."""

    id: int
    status: Status
    created_at: datetime
    submitted_by: int
    title: str
    filename: str | None
    sha256: str
    char_count: int
    level: Level
    period: str
    marking: str
    entries: list[Entry]
    evidence: list[Evidence]
    rationale: str
    confidence: float
    flags: list[str]
    header: dict[str, Any]
    details: dict[str, Any] = Field(default_factory=dict, description="引擎的其他输出（降密建议、报送事项等）")
    model_version: str
    catalog_version: str
    due_date: date | None
    decision: DecisionPublic | None
    escalation: EscalationPublic | None = Field(default=None, description="最近一次报请上级（未答复或已答复）")
    history: list[DecisionPublic] = Field(
        default_factory=list, description="全部决定（含被变更的），按时间顺序；仅在查看单条时返回"
    )
    text: str | None = Field(default=None, description="全文（仅在保存全文时、查看单条时返回）")


class SuggestionPage(BaseModel):
    """One page of the review queue, newest first."""

    items: list[SuggestionPublic]
    total: int
    limit: int
    offset: int


class RegisterRow(BaseModel):
    """One line of the 定密台账."""

    suggestion_id: int
    decision_id: int
    title: str
    sha256: str
    level: Level
    period: str
    marking: str
    basis_entry: str
    basis_text: str = Field(default="", description="定密依据的规定和条款，如《…》第三条（二）5.")
    knowledge_scope: str
    status: Status
    decided_by: str
    decided_on: date
    expires_on: date | None
    due_date: date | None
    supersedes: int | None


class RegisterPage(BaseModel):
    """The register, newest decision first."""

    items: list[RegisterRow]
    total: int
    limit: int
    offset: int


class AuditVerify(BaseModel):
    """Result of recomputing the audit chain."""

    ok: bool
    events: int
    first_broken: int | None


class AuditEventPublic(BaseModel):
    """One audit event."""

    id: int
    at: str
    actor_id: int | None
    action: str
    object_type: str
    object_id: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    """A page of audit events, oldest first."""

    items: list[AuditEventPublic]
    total: int


class UserCreate(BaseModel):
    """A new user."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, Field(min_length=1, max_length=64)]
    role: Role
    authority: SecretLevel | None = None


class UserUpdate(BaseModel):
    """Changes to a user (never one's own account)."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    authority: SecretLevel | None = None
    active: bool | None = None


class UserPublic(BaseModel):
    """A user, without secrets."""

    id: int
    name: str
    role: Role
    authority: SecretLevel | None
    active: bool
    created_at: datetime


class UserWithToken(UserPublic):
    """A new user with its API token, shown only once."""

    token: str


class OrgUpdate(BaseModel):
    """The organisation profile."""

    model_config = ConfigDict(extra="forbid")

    level: OrganLevel
    authorized_level: SecretLevel | None = None
    authorized_matters: Annotated[Text, Field(max_length=4000)] | None = None
    authorized_until: date | None = None


class OrgPublic(BaseModel):
    """The organisation profile and the ceiling it gives today."""

    set: bool
    level: OrganLevel | None
    authorized_level: SecretLevel | None
    authorized_matters: str | None
    authorized_until: date | None
    ceiling: SecretLevel | None


class Me(BaseModel):
    """The caller."""

    id: int
    name: str
    role: Role
    authority: SecretLevel | None


class SystemStatus(BaseModel):
    """What the 系统管理员 sees: versions and counts, no document content."""

    version: str
    model_version: str
    catalog_version: str
    database: str
    schema_revision: str | None
    store_full_text: bool
    max_upload_bytes: int
    suggestions_by_status: dict[str, int]
    users: int
    audit_events: int
