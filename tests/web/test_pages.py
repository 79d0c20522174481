"""The pages through TestClient: escaping, uploads, filters, the decision rules as the pages
show them, the register's expiring items and CSV, the catalog and the audit page."""

from __future__ import annotations

import hashlib
import html
import re
from typing import Any

from documents import EXAM_BEFORE
from sqlalchemy import text

from .conftest import csrf_of

SCRIPT_DOC = "关于召开座谈会的通知。<script>alert('x')</script>请各单位于月底前报送材料 & 名单。"


def _field(html_text: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html_text)
    assert found, f"no {name} field"
    return html.unescape(found.group(1))


def _submit(client: Any, text: str, title: str = "") -> int:
    """Check, then submit what was checked (the page's one text box, its token and hash)."""
    page = client.get("/check")
    checked = client.post("/check", data={"csrf": csrf_of(page.text), "text": text, "title": title})
    assert checked.status_code == 200, checked.text
    data = {"csrf": csrf_of(page.text), "text": text, "title": title}
    data |= {k: _field(checked.text, k) for k in ("token", "checked")}
    r = client.post("/check/submit", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    return int(r.headers["location"].split("/suggestions/")[1].split("?")[0])


def _decide(client: Any, sid: int, **fields: str) -> Any:
    page = client.get(f"/suggestions/{sid}")
    return client.post(f"/suggestions/{sid}/decision", data={"csrf": csrf_of(page.text), **fields})


def test_check_escapes_text_and_accepts_uploads(web: Any, sign_in: Any) -> None:
    _wa, client = web
    sign_in(client, "drafter")
    page = client.get("/check")
    r = client.post("/check", data={"csrf": csrf_of(page.text), "text": SCRIPT_DOC, "title": "<b>t</b>"})
    assert r.status_code == 200
    assert "<script>alert" not in r.text and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in r.text
    assert "<b>t</b>" not in r.text and "&amp; 名单" in r.text

    upload = client.post(
        "/check",
        data={"csrf": csrf_of(page.text), "text": ""},
        files={"file": ("exam.txt", EXAM_BEFORE.encode("utf-8"), "text/plain")},
    )
    assert upload.status_code == 200
    assert re.search(r'id="marking-preview"[^>]*>\s*机密★', upload.text)
    assert '<mark id="ev-1"><a href="#entry-edu-06"' in upload.text
    # submitting the unedited upload submits the file itself (its SHA-256 and name)
    key = _field(upload.text, "upload")
    found = re.search(r'<textarea id="text" name="text" rows="8">\n(.*?)</textarea>', upload.text, re.DOTALL)
    extracted = html.unescape(found.group(1))
    form = {"csrf": csrf_of(page.text), "text": extracted, "title": "exam", "upload": key}
    form |= {k: _field(upload.text, k) for k in ("token", "checked")}
    sent = client.post("/check/submit", data=form)
    assert sent.status_code == 200 and "已提交审核" in sent.text
    assert "exam.txt" in sent.text and hashlib.sha256(EXAM_BEFORE.encode("utf-8")).hexdigest() in sent.text
    # the same check's token submits once: the back button's second submit opens the same item
    again = client.post("/check/submit", data=form)
    assert again.status_code == 200 and "未重复提交" in again.text and str(hashlib.sha256(EXAM_BEFORE.encode()).hexdigest()) in again.text
    # an edited text is checked again (and shown), not submitted as it stands
    edited = client.post("/check/submit", data={**form, "text": extracted + "另附考场安排。", "token": "fresh"})
    assert edited.status_code == 200 and "正文已修改" in edited.text and "已提交审核" not in edited.text
    assert "另附考场安排" in edited.text and "exam.txt" not in edited.text
    long_title = client.post(
        "/check", data={"csrf": csrf_of(page.text), "text": "关于开会的通知。", "title": "长" * 600}
    )
    assert long_title.status_code == 422 and "标题" in long_title.text
    bad = client.post(
        "/check",
        data={"csrf": csrf_of(page.text)},
        files={"file": ("x.exe", b"MZ", "application/octet-stream")},
    )
    assert bad.status_code == 415 and "不支持的文件类型" in bad.text
    empty = client.post("/check", data={"csrf": csrf_of(page.text), "text": "   "})
    assert empty.status_code == 422 and "请粘贴文件正文，或选择要上传的文件" in empty.text


def test_queue_filters_and_decision_rules_on_the_page(web: Any, sign_in: Any) -> None:
    _wa, client = web
    sign_in(client, "drafter")
    exam = _submit(client, EXAM_BEFORE, "考试通知")
    plain = _submit(client, "关于调整机关食堂开放时间的通知。自下月起午餐时间调整。", "食堂通知")
    mine = client.get("/check")
    assert "我最近提交的文件" in mine.text and "考试通知" in mine.text and "待审核" in mine.text

    client.cookies.clear()
    sign_in(client, "resp_low")
    queue = client.get("/queue")
    assert "考试通知" in queue.text and "食堂通知" in queue.text
    only = client.get("/queue", params={"level": "机密"})
    assert "考试通知" in only.text and "食堂通知" not in only.text
    aged = client.get("/queue", params={"age": "7"})
    assert "考试通知" not in aged.text
    flagged = client.get("/queue", params={"flag": "unclear_matter"})
    assert "考试通知" not in flagged.text

    refused = _decide(client, exam, action="confirm")
    assert refused.status_code == 403
    assert "超出您的定密权限（秘密）" in refused.text and "报请上级" in refused.text
    no_reason = _decide(client, plain, action="change", level="秘密", period="5年")
    assert no_reason.status_code == 422 and "必须填写理由" in no_reason.text
    # what was typed is kept after a refusal
    assert 'value="5年"' in no_reason.text

    client.cookies.clear()
    sign_in(client, "resp_mid")
    done = _decide(
        client, exam, action="change", level="机密", period="30天", knowledge_scope="命题组", reason="考后即可解密"
    )
    assert done.status_code == 200 and "决定已记录" in done.text and "已确定" in done.text
    again = _decide(client, exam, action="change", level="秘密", period="10年", reason="降级", supersedes="999")
    assert again.status_code == 409

    register = client.get("/register")
    row = re.search(r'<tr class="expiring">.*?</tr>', register.text, re.DOTALL)
    assert row and "机密★30天" in row.group(0) and "考试通知" in row.group(0)
    assert "考试通知" in client.get("/register", params={"expiring": "1"}).text
    assert "考试通知" not in client.get("/register", params={"level": "秘密"}).text
    csv = client.get("/register.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "机密★30天" in csv.content.decode("utf-8-sig")

    entry = client.get("/catalog/edu-06")
    assert entry.status_code == 200 and "考试通知" in entry.text
    search = client.get("/catalog", params={"q": "评分标准"})
    assert "edu-06" in search.text
    assert client.get("/catalog/no-such-entry").status_code == 404


def test_auditor_page_and_register_roles(web: Any, sign_in: Any) -> None:
    _wa, client = web
    sign_in(client, "drafter")
    assert client.get("/register").status_code == 403
    assert client.get("/register.csv").status_code == 403
    client.cookies.clear()
    sign_in(client, "auditor")
    page = client.get("/audit")
    assert page.status_code == 200 and "哈希链校验通过" in page.text and "user.created" in page.text
    filtered = client.get("/audit", params={"action": "password.set"})
    assert "password.set" in filtered.text and "<code>user.created</code>" not in filtered.text
    assert "<code>password.set</code>" in filtered.text and "设置登录密码" in filtered.text
    client.cookies.clear()
    sign_in(client, "archivist")
    assert client.get("/register").status_code == 200
    assert client.get("/audit").status_code == 403


def test_audit_page_shows_a_broken_chain(web: Any, sign_in: Any) -> None:
    wa, client = web
    with wa.db.engine.begin() as conn:
        if wa.db.dialect == "sqlite":
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))
        conn.execute(text("""UPDATE audit_events SET detail = '{"via":"x"}' WHERE id = 3"""))
    sign_in(client, "auditor")
    page = client.get("/audit")
    assert page.status_code == 200
    assert "哈希链校验失败" in page.text and "第一条断裂的事件编号为 3" in page.text
