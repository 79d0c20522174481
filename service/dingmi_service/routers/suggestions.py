"""Suggestions and decisions: submit, review queue, one item, decision."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import PurePath
from typing import Annotated, Any

from dingmi.errors import ReadError
from dingmi.reader import Extracted
from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import audit, exports, submissions, suggester
from ..accounts import get_org
from ..basis import UNCLEAR, cite
from ..deps import ClockDep, DbDep, EngineDep, SettingsDep
from ..errors import ApiError, conflict, forbidden, not_found, too_large, unprocessable, unsupported_type
from ..limits import BodyTooLarge
from ..models import Decision, Escalation, OrgProfile, Suggestion, User, utcnow
from ..schemas import (
    ERROR_RESPONSES,
    DecisionCreate,
    DecisionPublic,
    ErrorBody,
    EscalationCreate,
    EscalationPublic,
    Status,
    SuggestionCreate,
    SuggestionPage,
    SuggestionPublic,
)
from ..security import Principal, require
from ..workflow import (
    DecisionInput,
    DecisionInvalid,
    DecisionRefused,
    SuggestedClassification,
    add_working_days,
    china_today,
    decide,
    is_secret,
    org_ceiling,
    rank,
)

router = APIRouter(prefix="/v1/suggestions", tags=["建议与决定"], responses=ERROR_RESPONSES)

ALLOWED_SUFFIXES = (".txt", ".docx", ".pdf", ".ofd", ".doc", ".wps", ".png", ".jpg", ".jpeg", ".tif", ".tiff")
ALLOWED_TEXT = "、".join(ALLOWED_SUFFIXES)
MAX_TITLE = 500
# Keys of ``Suggestion.to_dict()`` kept in their own columns; the rest is stored as ``result``.
COLUMN_KEYS = frozenset({"level", "period", "marking", "confidence", "flags", "model_version", "catalog_version"})
RESULT_FIELDS = ("entries", "evidence", "rationale", "header")
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="建议编号")]
Submitter = Annotated[Principal, Depends(require("drafter", "responsible"))]
Reviewer = Annotated[Principal, Depends(require("drafter", "responsible"))]
Responsible = Annotated[Principal, Depends(require("responsible"))]
Keeper = Annotated[Principal, Depends(require("drafter", "responsible", "archivist"))]
ESCALATION_WORKING_DAYS = 10
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Submission:
    """A document as received: JSON text or an uploaded file."""

    title: str = ""
    json_body: bytes | None = None
    data: bytes | None = None
    filename: str | None = None


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def read_submission(request: Request) -> Submission:
    """Parse a JSON body or a multipart upload (field ``file``); 415 for anything else."""
    media = _media_type(request)
    if media == "application/json" or media.endswith("+json"):
        return Submission(json_body=await request.body())  # parsed off the event loop, in the route
    if media == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=20)
        except StarletteHTTPException as exc:
            if isinstance(exc.__cause__, BodyTooLarge):
                raise too_large(request.app.state.settings.max_upload_bytes) from None
            raise unprocessable("multipart 表单格式错误，无法解析") from None
        try:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise unprocessable(f"缺少上传文件：请在表单字段 file 中上传文件（{ALLOWED_TEXT}）")
            data = await upload.read()
            title = form.get("title")
            return Submission(title=title if isinstance(title, str) else "", data=data, filename=upload.filename or "")
        finally:
            await form.close()
    raise unsupported_type("仅支持 application/json（text、title）或 multipart/form-data（file 字段）提交")


SUBMISSION_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": SuggestionCreate.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": f"{ALLOWED_TEXT} 文件（图片和扫描件需开启OCR）"},
                        "title": {"type": "string", "maxLength": MAX_TITLE},
                    },
                }
            },
        },
    }
}


def _parse_json(raw: bytes) -> SuggestionCreate:
    """JSON body → SuggestionCreate, or 422 (malformed JSON, or fields against the schema)."""
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deeply
        raise unprocessable("JSON 格式错误，无法解析") from None
    try:
        return SuggestionCreate.model_validate(payload)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None


class DocumentText(tuple[str, str, "str | None", str]):
    """(text, sha256, filename, title) of a submission; ``source`` tells how an upload's text was obtained."""

    source: Extracted | None = None


def _document_text(sub: Submission, max_bytes: int, *, ocr: bool = False) -> DocumentText:
    """Return (text, sha256, filename, title) for a submission, or raise 413/415/422.

    ``ocr`` (the service setting) recognises uploaded images and scanned pages."""
    if sub.json_body is not None:
        body = _parse_json(sub.json_body)
        if not body.text.strip():
            raise unprocessable("文件正文为空")
        return DocumentText((body.text, hashlib.sha256(body.text.encode("utf-8")).hexdigest(), None, body.title))
    assert sub.data is not None
    title = sub.title
    filename = PurePath((sub.filename or "").replace("\\", "/")).name[:255]
    suffix = PurePath(filename).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise unsupported_type(f"不支持的文件类型“{suffix or '无扩展名'}”；仅支持 {ALLOWED_TEXT}")
    if len(sub.data) > max_bytes:
        raise too_large(max_bytes)
    try:
        extracted = suggester.extract_document(sub.data, filename, ocr=ocr)
    except ReadError as exc:
        if exc.code == "DM111":
            raise unsupported_type(exc.message) from None
        raise ApiError(422, exc.code, exc.message) from None
    text = extracted.text.replace("\x00", "")
    if not text.strip():
        raise ApiError(422, "DM422", "文件中没有可识别的文字")
    if "\x00" in title or len(title) > MAX_TITLE:
        raise unprocessable(f"标题不得超过 {MAX_TITLE} 个字符，且不得含有 NUL 字符")
    doc = DocumentText((text, hashlib.sha256(sub.data).hexdigest(), filename, title or PurePath(filename).stem[:MAX_TITLE]))
    doc.source = Extracted(text, extracted.source)  # evidence offsets index this extracted text
    return doc


def _engine_authority(org: OrgProfile | None, today: Any) -> str | None:
    """What the engine should know about the organisation's 定密权限."""
    if org is None:
        return None
    ceiling = org_ceiling(org.level, org.authorized_level, org.authorized_until, today)
    return ceiling or org.level


@dataclass(frozen=True)
class Context:
    """What the API model needs beyond the rows: user names, the catalog, the last 报请上级."""

    names: dict[int, str]
    engine: Any = None
    escalation: Escalation | None = None


def to_public(
    row: Suggestion,
    decision: Decision | None,
    *,
    with_text: bool,
    history: list[Decision] | None = None,
    context: Context | None = None,
) -> SuggestionPublic:
    """Stored rows → API model."""
    ctx = context or Context(names={})
    result = row.result or {}
    return SuggestionPublic(
        id=row.id,
        status=row.status,  # type: ignore[arg-type]
        created_at=row.created_at,
        submitted_by=row.submitted_by,
        title=row.title,
        filename=row.filename,
        sha256=row.sha256,
        char_count=row.char_count,
        level=row.level,  # type: ignore[arg-type]
        period=row.period,
        marking=row.marking,
        entries=result.get("entries") or [],
        evidence=result.get("evidence") or [],
        rationale=result.get("rationale") or "",
        confidence=row.confidence,
        flags=list(row.flags or []),
        header=result.get("header") or {},
        details={k: v for k, v in result.items() if k not in RESULT_FIELDS},
        model_version=row.model_version,
        catalog_version=row.catalog_version,
        due_date=row.due_date,
        decision=decision_public(decision, ctx) if decision else None,
        escalation=escalation_public(ctx.escalation, ctx) if ctx.escalation else None,
        history=[decision_public(d, ctx) for d in history or []],
        text=row.text if with_text else None,
    )


def decision_public(d: Decision, ctx: Context | None = None) -> DecisionPublic:
    """Stored decision → API model."""
    ctx = ctx or Context(names={})
    return DecisionPublic(
        id=d.id,
        action=d.action,  # type: ignore[arg-type]
        level=d.level,  # type: ignore[arg-type]
        period=d.period,
        marking=d.marking,
        knowledge_scope=d.knowledge_scope,
        reason=d.reason,
        basis_entry=d.basis_entry,
        basis=d.basis_entry,
        basis_text=cite(ctx.engine, d.basis_entry),
        status=d.status,  # type: ignore[arg-type]
        decided_by=d.decided_by,
        decided_by_name=ctx.names.get(d.decided_by, ""),
        decided_at=d.decided_at,
        due_date=d.due_date,
        expires_on=d.expires_on,
        supersedes=d.supersedes_id,
    )


def escalation_public(e: Escalation, ctx: Context) -> EscalationPublic:
    """Stored 报请上级 → API model."""
    return EscalationPublic(
        id=e.id,
        from_user=ctx.names.get(e.from_user, str(e.from_user)),
        to=ctx.names.get(e.to_user, str(e.to_user)),
        reason=e.reason,
        created_at=e.created_at,
        due_date=e.due_date,
        answered_at=e.answered_at,
        answer_decision_id=e.answer_decision_id,
    )


def user_names(session: Any) -> dict[int, str]:
    """Every user's name by id."""
    return dict(session.execute(select(User.id, User.name)).all())  # type: ignore[arg-type]


def decisions_of(session: Any, suggestion_id: int) -> list[Decision]:
    """Every decision on a suggestion, oldest first."""
    return list(
        session.execute(select(Decision).where(Decision.suggestion_id == suggestion_id).order_by(Decision.id)).scalars()
    )


def last_escalation(session: Any, suggestion_id: int) -> Escalation | None:
    """The latest 报请上级 of a suggestion (answered or not)."""
    return session.execute(
        select(Escalation).where(Escalation.suggestion_id == suggestion_id).order_by(Escalation.id.desc()).limit(1)
    ).scalar()


@router.post(
    "",
    status_code=201,
    response_model=SuggestionPublic,
    summary="提交文件，获得定密建议",
    openapi_extra=SUBMISSION_BODY,
    responses={
        200: {"model": SuggestionPublic, "description": "重复提交（同一 Idempotency-Key 或同一待审文件）：返回首次的建议"},
        409: {"model": ErrorBody},
        413: {"model": ErrorBody},
        415: {"model": ErrorBody},
    },
)
def create_suggestion(
    principal: Submitter,
    submission: Annotated[Submission, Depends(read_submission)],
    db: DbDep,
    engine: EngineDep,
    settings: SettingsDep,
    clock: ClockDep,
    response: Response = None,  # type: ignore[assignment]  # set by FastAPI; None when called directly
    idempotency_key: Annotated[
        str | None, Header(alias=submissions.IDEMPOTENCY_HEADER, description="重试时使用同一键，不会重复创建")
    ] = None,
) -> SuggestionPublic:
    """JSON ``{"text", "title"}`` or a multipart ``file`` (.txt/.docx/.pdf) → suggestion, status ``pending``.

    ``sha256`` is that of the uploaded file's bytes, or of the UTF-8 text for JSON. A retry — same
    ``Idempotency-Key``, or without one the same text or file, title and file name while the
    submitter's first one is still pending — returns the first suggestion (200,
    ``Idempotent-Replayed: true``) instead of a duplicate.
    """
    key = submissions.checked_key(idempotency_key)
    doc = _document_text(submission, settings.max_upload_bytes, ocr=settings.ocr)
    text, digest, filename, title = doc
    title, filename = submissions.neutralise(title), submissions.neutralise(filename) if filename else filename
    with db.read() as session:
        earlier = submissions.existing(session, principal.id, key, digest, title, filename)
    if earlier is not None:
        submissions.mark_replayed(response)
        return to_public(earlier, None, with_text=True)
    now = clock()
    with db.read() as session:
        authority = _engine_authority(get_org(session), china_today(now))
    result = suggester.suggest(engine, text, authority=authority, title=title, source=doc.source)
    flags = [str(f) for f in result.get("flags", [])]
    row = Suggestion(
        created_at=utcnow(),
        submitted_by=principal.id,
        title=title,
        filename=filename,
        sha256=digest,
        text=text if settings.store_full_text else None,
        char_count=len(text),
        level=str(result.get("level", "")),
        period=str(result.get("period", "") or ""),
        marking=str(result.get("marking", "") or ""),
        confidence=float(result.get("confidence", 0.0) or 0.0),
        flags=flags,
        result={k: v for k, v in result.items() if k not in COLUMN_KEYS},
        model_version=str(result.get("model_version", "")),
        catalog_version=str(result.get("catalog_version", "")),
        status="pending",
        idempotency_key=key,
    )
    with db.write() as session:
        submissions.lock_submitter(db, session, principal.id)
        earlier = submissions.existing(session, principal.id, key, digest, title, filename)
        if earlier is not None:  # a concurrent retry got there first
            submissions.mark_replayed(response)
            return to_public(earlier, None, with_text=True)
        session.add(row)
        session.flush()
        audit.record(
            db,
            session,
            "suggestion.created",
            actor_id=principal.id,
            object_type="suggestion",
            object_id=row.id,
            detail={
                "sha256": digest,
                "via": "file" if filename is not None else "json",
                "chars": len(text),
                "level": row.level,
                "flags": flags,
                "text_stored": settings.store_full_text,
            },
        )
    return to_public(row, None, with_text=True)


@router.get("", response_model=SuggestionPage, summary="审核队列（最新在前）")
def list_suggestions(
    principal: Reviewer,
    db: DbDep,
    engine: EngineDep,
    status: Annotated[Status | None, Query(description="按状态筛选，如 pending")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> SuggestionPage:
    """Responsible persons see every suggestion; drafters see their own."""
    query = select(Suggestion)
    if status is not None:
        query = query.where(Suggestion.status == status)
    if principal.role == "drafter":
        query = query.where(Suggestion.submitted_by == principal.id)
    with db.read() as session:
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = list(session.execute(query.order_by(Suggestion.id.desc()).limit(limit).offset(offset)).scalars())
        ids = [r.decision_id for r in rows if r.decision_id]
        decisions = (
            {d.id: d for d in session.execute(select(Decision).where(Decision.id.in_(ids))).scalars()} if ids else {}
        )
        ctx = Context(names=user_names(session), engine=engine)
    items = [to_public(r, decisions.get(r.decision_id or 0), with_text=False, context=ctx) for r in rows]
    return SuggestionPage(items=items, total=total, limit=limit, offset=offset)


def _visible(principal: Principal, row: Suggestion | None) -> Suggestion:
    if row is None or (principal.role == "drafter" and row.submitted_by != principal.id):
        raise not_found("未找到该建议")
    return row


@router.get(
    "/{suggestion_id}",
    response_model=SuggestionPublic,
    summary="查看一条建议",
    responses={404: {"model": ErrorBody}},
)
def get_suggestion(suggestion_id: IdPath, principal: Reviewer, db: DbDep, engine: EngineDep) -> SuggestionPublic:
    """One suggestion with its current decision (``decision``: the decided level, period, marking and
    basis; null before), its last 报请上级, every decision in order and, if stored, the full text."""
    with db.read() as session:
        row = _visible(principal, session.get(Suggestion, suggestion_id))
        history = decisions_of(session, row.id)
        ctx = Context(names=user_names(session), engine=engine, escalation=last_escalation(session, row.id))
    current = next((d for d in history if d.id == row.decision_id), None)
    return to_public(row, current, with_text=True, history=history, context=ctx)


@router.post(
    "/{suggestion_id}/decision",
    response_model=SuggestionPublic,
    summary="定密责任人作出决定",
    responses={404: {"model": ErrorBody}, 409: {"model": ErrorBody}},
)
def decide_suggestion(
    suggestion_id: IdPath,
    body: DecisionCreate,
    principal: Responsible,
    db: DbDep,
    engine: EngineDep,
    clock: ClockDep,
) -> SuggestionPublic:
    """confirm / change / reject. Above one's own 定密权限: 403 (报请上级). Above the organisation's:
    ``escalated``. A secret ``unclear_matter``: ``reported``, due in 10 working days. An item already
    decided: 409, unless this is a ``change`` whose ``supersedes`` names the current decision.
    """
    basis = _basis_of(body, engine)
    now = clock()
    today = china_today(now)
    try:
        with db.write() as session:
            row = session.execute(select(Suggestion).where(Suggestion.id == suggestion_id).with_for_update()).scalar()
            if row is None:
                raise not_found("未找到该建议")
            if row.submitted_by == principal.id:
                raise forbidden("不得审核批准自己提交的文件，请由其他定密责任人决定", code="DM432")
            _check_sequence(row, body)
            open_escalation = _open_escalation(session, row.id)
            if open_escalation is not None and open_escalation.to_user != principal.id:
                to = session.get(User, open_escalation.to_user)
                raise conflict(f"该建议已报请“{to.name if to else open_escalation.to_user}”确定，只能由其作出决定")
            flags = tuple(row.flags or ())
            if basis == UNCLEAR and "unclear_matter" not in flags:
                flags += ("unclear_matter",)  # chosen as 不明确事项: reported, 10 working days
            org = get_org(session)
            ceiling = org_ceiling(org.level, org.authorized_level, org.authorized_until, today) if org else None
            try:
                outcome = decide(
                    SuggestedClassification(
                        level=row.level,
                        period=row.period,
                        flags=flags,
                        entry_levels=tuple(
                            (str(e.get("id", "")), str(e.get("level", "")))
                            for e in (row.result or {}).get("entries", [])
                        ),
                    ),
                    DecisionInput(
                        action=body.action,
                        level=body.level,
                        period=body.period,
                        reason=body.reason,
                        basis_entry=basis,
                    ),
                    person_ceiling=principal.authority,
                    org_level_set=org is not None,
                    org_ceiling_level=ceiling,
                    today=today,
                    current_level=_current_level(session, row),
                )
            except DecisionRefused as exc:
                raise forbidden(exc.message, code="DM431") from None
            except DecisionInvalid as exc:
                raise unprocessable(exc.message) from None
            decision = Decision(
                suggestion_id=row.id,
                supersedes_id=body.supersedes,
                decided_by=principal.id,
                decided_at=now,
                action=body.action,
                level=outcome.level,
                period=outcome.period,
                marking=outcome.marking,
                knowledge_scope=body.knowledge_scope,
                reason=body.reason,
                basis_entry=outcome.basis_entry,
                status=outcome.status,
                due_date=outcome.due_date,
                expires_on=outcome.expires_on,
            )
            session.add(decision)
            session.flush()
            row.status = outcome.status
            row.decision_id = decision.id
            row.due_date = outcome.due_date
            if open_escalation is not None:
                open_escalation.answered_at = now
                open_escalation.answer_decision_id = decision.id
            audit.record(
                db,
                session,
                "suggestion.decided",
                actor_id=principal.id,
                object_type="suggestion",
                object_id=row.id,
                detail={
                    "decision_id": decision.id,
                    "action": body.action,
                    "level": outcome.level,
                    "period": outcome.period,
                    "status": outcome.status,
                    "supersedes": body.supersedes,
                    "basis": outcome.basis_entry,
                    "answers_escalation": open_escalation.id if open_escalation is not None else None,
                    "due_date": outcome.due_date.isoformat() if outcome.due_date else None,
                    "reason_sha256": audit.text_hash(body.reason) if body.reason else None,
                    "scope_sha256": audit.text_hash(body.knowledge_scope) if body.knowledge_scope else None,
                },
            )
        with db.read() as session:
            ctx = Context(names=user_names(session), engine=engine, escalation=last_escalation(session, row.id))
    except IntegrityError:  # a concurrent decision won the race
        raise conflict("该建议已由他人作出决定，请刷新后重试") from None
    return to_public(row, decision, with_text=True, context=ctx)


def _basis_of(body: DecisionCreate, engine: Any) -> str | None:
    """``basis`` (or its old name ``basis_entry``): a loaded entry id or ``unclear``; 422 otherwise."""
    if body.basis and body.basis_entry and body.basis != body.basis_entry:
        raise unprocessable("basis 与 basis_entry 不一致，请只给出 basis")
    basis = (body.basis or body.basis_entry or "").strip()
    if not basis:
        return None
    if basis == UNCLEAR:
        return basis
    known = suggester.entry_ids(engine)
    if known and basis not in known:
        raise unprocessable(f"定密依据“{basis}”不在已加载的保密事项目录中；不明确事项请选择 unclear")
    return basis


def _open_escalation(session: Any, suggestion_id: int) -> Escalation | None:
    """The unanswered 报请上级 of a suggestion, if any."""
    return session.execute(
        select(Escalation)
        .where(Escalation.suggestion_id == suggestion_id, Escalation.answered_at.is_(None))
        .order_by(Escalation.id.desc())
        .limit(1)
    ).scalar()


def _current_level(session: Any, row: Suggestion) -> str | None:
    """Level of the decision in force (a change superseding it needs authority over it too)."""
    if row.decision_id is None:
        return None
    current = session.get(Decision, row.decision_id)
    return current.level if current is not None else None


def _check_sequence(row: Suggestion, body: DecisionCreate) -> None:
    """First decision, or a ``change`` that references the current one; never an overwrite."""
    if row.decision_id is None:
        if body.supersedes is not None:
            raise unprocessable("该建议尚无决定，不能引用 supersedes")
        return
    if body.supersedes is None:
        raise conflict(
            f"该建议已有决定（编号 {row.decision_id}）；"
            f"如需变更，请提交 action=change 并在 supersedes 中引用编号 {row.decision_id}"
        )
    if body.supersedes != row.decision_id:
        raise conflict(f"引用的决定不是当前有效的决定（当前编号 {row.decision_id}），请刷新后重试")
    if body.action != "change":
        raise unprocessable("变更已有决定必须使用 action=change")
    if not body.reason.strip():
        raise unprocessable("变更已有决定必须说明理由（reason）")


@router.post(
    "/{suggestion_id}/escalation",
    response_model=SuggestionPublic,
    summary="报请上级（指定接收人）",
    responses={404: {"model": ErrorBody}, 409: {"model": ErrorBody}},
)
def escalate_suggestion(
    suggestion_id: IdPath,
    body: EscalationCreate,
    principal: Responsible,
    db: DbDep,
    engine: EngineDep,
    clock: ClockDep,
) -> SuggestionPublic:
    """Hand an undecided (or provisionally escalated) item to a named 定密责任人 whose authority covers
    it, with the reason; status ``escalated``, answer due in 10 working days. The recipient answers
    with a normal decision (only they may, until they answer or pass it on)."""
    now = clock()
    try:
        with db.write() as session:
            row = session.execute(select(Suggestion).where(Suggestion.id == suggestion_id).with_for_update()).scalar()
            if row is None:
                raise not_found("未找到该建议")
            if row.status not in ("pending", "escalated"):
                raise conflict("该建议已有定密决定，无需报请上级；如需变更请作出变更决定")
            current = _open_escalation(session, row.id)
            if current is not None and current.to_user != principal.id:
                raise conflict("该建议已报请其他定密责任人确定，只能由其转报")
            if not body.reason.strip():
                raise unprocessable("请填写报请理由")
            recipient = session.execute(select(User).where(User.name == body.to.strip())).scalar()
            _check_recipient(recipient, principal, row, session)
            assert recipient is not None
            escalation = Escalation(
                suggestion_id=row.id,
                from_user=principal.id,
                to_user=recipient.id,
                reason=body.reason.strip(),
                created_at=now,
                due_date=add_working_days(china_today(now), ESCALATION_WORKING_DAYS),
            )
            if current is not None:  # passed on upward: the earlier one is closed without a decision
                current.answered_at = now
            session.add(escalation)
            session.flush()
            row.status = "escalated"
            audit.record(
                db,
                session,
                "suggestion.escalated",
                actor_id=principal.id,
                object_type="suggestion",
                object_id=row.id,
                detail={
                    "escalation_id": escalation.id,
                    "to": recipient.id,
                    "due_date": escalation.due_date.isoformat() if escalation.due_date else None,
                    "reason_sha256": audit.text_hash(escalation.reason),
                },
            )
        with db.read() as session:
            history = decisions_of(session, row.id)
            ctx = Context(names=user_names(session), engine=engine, escalation=escalation)
    except IntegrityError:
        raise conflict("该建议刚被他人处理，请刷新后重试") from None
    current_decision = next((d for d in history if d.id == row.decision_id), None)
    return to_public(row, current_decision, with_text=True, history=history, context=ctx)


def _check_recipient(recipient: User | None, principal: Principal, row: Suggestion, session: Any) -> None:
    """The recipient must be another active 定密责任人 whose authority covers the item."""
    if recipient is None or not recipient.active:
        raise unprocessable("接收人不存在或已停用，请填写有相应定密权限的定密责任人的用户名")
    if recipient.role != "responsible":
        raise unprocessable(f"接收人“{recipient.name}”不是定密责任人")
    if recipient.id == principal.id:
        raise unprocessable("不能报请本人确定")
    if recipient.id == row.submitted_by:
        raise unprocessable(f"“{recipient.name}”是该文件的提交人，不能审核本人提交的文件")
    needed = row.level
    decision = session.get(Decision, row.decision_id) if row.decision_id else None
    if decision is not None and rank(decision.level) > rank(needed):
        needed = decision.level
    if is_secret(needed) and (recipient.authority is None or rank(recipient.authority) < rank(needed)):
        raise unprocessable(
            f"接收人“{recipient.name}”的定密权限（{recipient.authority or '无'}）低于拟定密级（{needed}），"
            "请报请有相应定密权限的定密责任人"
        )


def _export_rows(principal: Principal, db: Any, suggestion_id: int) -> tuple[Suggestion, Decision | None, Any]:
    """The item, its current decision and the names the exports print; drafters only their own."""
    with db.read() as session:
        row = session.get(Suggestion, suggestion_id)
        if row is None or (principal.role == "drafter" and row.submitted_by != principal.id):
            raise not_found("未找到该建议")
        decision = session.get(Decision, row.decision_id) if row.decision_id else None
        names = user_names(session)
    return row, decision, names


def _docx(data: bytes, name: str) -> Response:
    return Response(
        content=data,
        media_type=DOCX_TYPE,
        headers={"Content-Disposition": f"attachment; filename=\"{name}\"", "Cache-Control": "no-store"},
    )


@router.get(
    "/{suggestion_id}/marked.docx",
    summary="导出标注国家秘密标志的文件（.docx）",
    response_class=Response,
    responses={200: {"content": {DOCX_TYPE: {}}}, 404: {"model": ErrorBody}, 409: {"model": ErrorBody}},
)
def marked_docx(suggestion_id: IdPath, principal: Keeper, db: DbDep) -> Response:
    """The document with 份号 / 密级★期限 / 紧急程度 on lines 1–3 (GB/T 9704-2012) and the marking in
    every page's header. Needs a decision and the stored full text."""
    row, decision = _marked_rows(principal, db, suggestion_id)
    return _docx(exports.marked_document(row, decision), f"marked-{row.id}.docx")


def _marked_rows(principal: Principal, db: Any, suggestion_id: int) -> tuple[Suggestion, Decision]:
    """The item and its decision for a marked export; 409 before a decision or without the text."""
    row, decision, _names = _export_rows(principal, db, suggestion_id)
    if decision is None:
        raise conflict("尚未作出定密决定，不能导出标注后的文件")
    if not row.text:
        raise conflict("服务未保存该文件的全文（只保存哈希），无法导出标注后的文件")
    return row, decision


@router.get(
    "/{suggestion_id}/marked.pdf",
    summary="导出标注国家秘密标志的文件（PDF）",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, 404: {"model": ErrorBody}, 409: {"model": ErrorBody}},
)
def marked_pdf(suggestion_id: IdPath, principal: Keeper, db: DbDep) -> Response:
    """The same marked document as PDF (CJK font embedded when one is installed)."""
    row, decision = _marked_rows(principal, db, suggestion_id)
    return Response(
        content=exports.marked_pdf(row, decision),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="marked-{row.id}.pdf"', "Cache-Control": "no-store"},
    )


@router.get(
    "/{suggestion_id}/approval.docx",
    summary="导出定密审批表（.docx）",
    response_class=Response,
    responses={200: {"content": {DOCX_TYPE: {}}}, 404: {"model": ErrorBody}},
)
def approval_docx(suggestion_id: IdPath, principal: Keeper, db: DbDep, engine: EngineDep) -> Response:
    """定密审批表: 承办人, 拟定密级/期限/知悉范围, 定密依据, 系统建议, 定密责任人意见 and date."""
    row, decision, names = _export_rows(principal, db, suggestion_id)
    return _docx(exports.approval_form(row, decision, names, engine), f"approval-{row.id}.docx")
