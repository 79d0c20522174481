"""起草检查: one editable text box, checked again whenever it changed before it is submitted; one
submission per check (the back button cannot submit twice); several files or a .zip in one go."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import secrets
import threading
import time
import zipfile
from collections import OrderedDict
from pathlib import PurePath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from .. import suggester
from ..accounts import get_org
from ..errors import ApiError
from ..models import Decision, Suggestion
from ..routers import suggestions as api
from ..security import Principal
from ..workflow import china_today
from .pages import checked_form, need, render, view_model

router = APIRouter(include_in_schema=False)
SUBMITTERS = ("drafter", "responsible")
EMPTY = "请粘贴文件正文，或选择要上传的文件（.txt、.docx、.pdf）"
EDITED = "正文已修改：系统已按修改后的正文重新检查，请核对下面的建议后再提交审核。"
MAX_BULK_FILES = 200


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Expiring:
    """A small per-process store of keyed items that expire (uploads between check and submit,
    used submission tokens), bounded in count and in bytes."""

    def __init__(self, ttl: float, max_items: int, max_bytes: int = 0) -> None:
        self.ttl = ttl
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.bytes = 0
        self.items: OrderedDict[str, tuple[float, Any, int]] = OrderedDict()
        self.lock = threading.Lock()

    def put(self, key: str, value: Any, size: int = 0) -> None:
        with self.lock:
            self.items[key] = (time.monotonic(), value, size)
            self.bytes += size
            while self.items and (
                len(self.items) > self.max_items
                or (self.max_bytes and self.bytes > self.max_bytes)
                or next(iter(self.items.values()))[0] < time.monotonic() - self.ttl
            ):
                self.bytes -= self.items.popitem(last=False)[1][2]

    def get(self, key: str) -> Any:
        with self.lock:
            item = self.items.get(key)
        return None if item is None or item[0] < time.monotonic() - self.ttl else item[1]


def _stores(request: Request) -> tuple[_Expiring, _Expiring]:
    """(uploads kept between check and submit for 30 minutes, used submission tokens for 8 hours)."""
    state = request.app.state
    if getattr(state, "web_check_stores", None) is None:
        state.web_check_stores = (_Expiring(1800.0, 64, 64 * 1024 * 1024), _Expiring(8 * 3600.0, 20000))
    return state.web_check_stores  # type: ignore[no-any-return]


def _recent(request: Request, user: Principal) -> list[tuple[Suggestion, Decision | None]]:
    """The person's last 20 submissions with their current decision (the decided marking is shown)."""
    with request.app.state.db.read() as session:
        rows = list(
            session.execute(
                select(Suggestion).where(Suggestion.submitted_by == user.id).order_by(Suggestion.id.desc()).limit(20)
            ).scalars()
        )
        ids = [r.decision_id for r in rows if r.decision_id]
        decisions = (
            {d.id: d for d in session.execute(select(Decision).where(Decision.id.in_(ids))).scalars()} if ids else {}
        )
    return [(r, decisions.get(r.decision_id or 0)) for r in rows]


def _page(request: Request, user: Principal, status: int = 200, **context: Any) -> Response:
    values = {"view": None, "text": "", "doc_title": "", "error": "", "notice": "", "filename": "", "upload_key": ""}
    values.update(context)
    return render(request, "check.html", status, title="起草检查", mine=_recent(request, user), **values)


@router.get("/check")
def check_page(request: Request) -> Response:
    user = need(request, *SUBMITTERS)
    return _page(request, user)


async def _read(request: Request, sub: api.Submission, typed: str) -> tuple[str, str | None, str, Any] | str:
    """(text, filename, title, text source) as the API reads it, or the Chinese reason it cannot be read."""
    settings = request.app.state.settings
    try:
        doc = await run_in_threadpool(
            functools.partial(api._document_text, sub, settings.max_upload_bytes, ocr=settings.ocr)
        )
        text, _digest, filename, title = doc
    except ApiError as exc:
        return EMPTY if exc.message == "文件正文为空" else exc.message
    except (ValidationError, RequestValidationError):
        return EMPTY if not typed.strip() else "标题过长：标题不得超过 500 个字符"
    return text, filename, title, doc.source


async def _checked(
    request: Request, user: Principal, text: str, title: str, upload: tuple[str, str] | None, notice: str = "",
    source: Any = None,
) -> Response:
    """Run the engine on ``text`` and show the result with a fresh submission token."""
    app = request.app

    def run() -> dict[str, Any]:
        with app.state.db.read() as session:
            authority = api._engine_authority(get_org(session), china_today(app.state.clock()))
        return suggester.suggest(app.state.engine, text, authority=authority, title=title, source=source)

    result = await run_in_threadpool(run)
    return _page(
        request,
        user,
        view=view_model(request, result, text),
        text=text,
        doc_title=title,
        filename=upload[1] if upload else "",
        upload_key=upload[0] if upload else "",
        checked=digest(text),
        token=secrets.token_urlsafe(18),
        notice=notice,
    )


def _kept_upload(request: Request, user: Principal, key: str, text: str) -> tuple[bytes, str] | None:
    """An upload kept since the check, if it is this person's and its text is unchanged."""
    item = _stores(request)[0].get(key) if key else None
    if item is None or item[0] != user.id or item[3] != digest(text):
        return None
    return item[1], item[2]


def _form_text(form: Any) -> tuple[str, str]:
    text = form.get("text")
    title = form.get("title")
    # browsers send a textarea's lines as CRLF
    return (text.replace("\r\n", "\n") if isinstance(text, str) else ""), (title if isinstance(title, str) else "")


@router.post("/check")
async def check(request: Request) -> Response:
    """Suggestion preview (nothing is stored): the API's own reading and engine call."""
    user = need(request, *SUBMITTERS)
    form = await checked_form(request)
    text, title = _form_text(form)
    title = title.strip()
    file = form.get("file")
    if isinstance(file, UploadFile) and file.filename:
        sub = api.Submission(title=title, data=await file.read(), filename=file.filename)
    else:
        kept = _kept_upload(request, user, str(form.get("upload") or ""), text)
        if kept is not None:  # checked again, unedited: still the uploaded file
            return await _checked(request, user, text, title, (str(form.get("upload")), kept[1]))
        sub = api.Submission(json_body=json.dumps({"text": text, "title": title}).encode("utf-8"))
    read = await _read(request, sub, text)
    if isinstance(read, str):
        status = 415 if read.startswith("不支持的文件类型") else (413 if "大小限制" in read else 422)
        return _page(request, user, status, text=text, doc_title=title[:500], error=read)
    text, filename, title, source = read
    upload = None
    if sub.data is not None and filename:
        key = secrets.token_urlsafe(18)
        _stores(request)[0].put(key, (user.id, sub.data, filename, digest(text)), size=len(sub.data))
        upload = (key, filename)
    return await _checked(request, user, text, title, upload, source=source)


@router.post("/check/submit")
async def check_submit(request: Request) -> Response:
    """Submit for review with the same function as ``POST /v1/suggestions``. The text must be the
    one just checked (else it is checked again and shown); each check's token submits once (a
    second submit, e.g. after the back button, opens the item already created)."""
    user = need(request, *SUBMITTERS)
    form = await checked_form(request)
    text, title = _form_text(form)
    token = str(form.get("token") or "")
    used = _stores(request)[1]
    done = used.get(f"{user.id}:{token}") if token else None
    if done is not None:
        return RedirectResponse(f"/suggestions/{done}?submitted=1&again=1", status_code=303)
    key = str(form.get("upload") or "")
    kept = _kept_upload(request, user, key, text)
    if not token or str(form.get("checked") or "") != digest(text):
        if not text.strip() and kept is None:
            return _page(request, user, 422, doc_title=title[:500], error=EMPTY)
        return await _checked(request, user, text, title[:500], (key, kept[1]) if kept else None, notice=EDITED)
    if kept is not None:
        sub = api.Submission(title=title, data=kept[0], filename=kept[1])
    else:
        sub = api.Submission(json_body=json.dumps({"text": text, "title": title}).encode("utf-8"))
    app = request.app
    try:
        created = await run_in_threadpool(
            api.create_suggestion, user, sub, app.state.db, app.state.engine, app.state.settings, app.state.clock
        )
    except ApiError as exc:
        return _page(request, user, exc.status, text=text, doc_title=title[:500], error=exc.message)
    except (ValidationError, RequestValidationError):
        return _page(request, user, 422, text=text, doc_title=title[:500], error="标题不得超过 500 个字符")
    used.put(f"{user.id}:{token}", created.id)
    return RedirectResponse(f"/suggestions/{created.id}?submitted=1", status_code=303)


# --- 批量提交 ---------------------------------------------------------------------------


def _expand(name: str, data: bytes, max_bytes: int) -> list[tuple[str, bytes | str]]:
    """A file, or the .txt/.docx/.pdf members of a .zip (bounded), as (name, bytes or error)."""
    if PurePath(name).suffix.lower() != ".zip":
        return [(name, data)]
    out: list[tuple[str, bytes | str]] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            for member in members[:MAX_BULK_FILES]:
                inner = f"{name}/{member.filename}"
                if PurePath(member.filename).suffix.lower() not in api.ALLOWED_SUFFIXES:
                    out.append((inner, "不支持的文件类型，已跳过"))
                elif member.file_size > max_bytes:
                    out.append((inner, "文件超过大小限制，已跳过"))
                else:
                    out.append((inner, archive.read(member)))
            if len(members) > MAX_BULK_FILES:
                out.append((name, f"压缩包内文件超过 {MAX_BULK_FILES} 个，其余未处理"))
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError):
        return [(name, "压缩包已损坏或加密，无法读取")]
    return out


@router.post("/check/bulk")
async def bulk(request: Request) -> Response:
    """Several files or a .zip submitted for review at once; one line per file (created or why not)."""
    user = need(request, *SUBMITTERS)
    form = await checked_form(request)
    app = request.app
    limit = app.state.settings.max_upload_bytes
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    if not files:
        return _page(request, user, 422, error="请选择要批量提交的文件（可多选，或一个 .zip 压缩包）")
    results: list[dict[str, Any]] = []
    for upload in files[:MAX_BULK_FILES]:
        for name, content in _expand(upload.filename or "", await upload.read(), limit):
            if isinstance(content, str):
                results.append({"name": name, "error": content})
                continue
            sub = api.Submission(data=content, filename=PurePath(name).name)
            try:
                created = await run_in_threadpool(
                    api.create_suggestion, user, sub, app.state.db, app.state.engine, app.state.settings, app.state.clock
                )
            except ApiError as exc:
                results.append({"name": name, "error": exc.message})
                continue
            results.append({"name": name, "id": created.id, "level": created.level, "marking": created.marking})
    return render(
        request, "bulk.html", title="批量提交结果", results=results, ok=sum(1 for r in results if "id" in r)
    )
