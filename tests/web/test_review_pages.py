"""The reviewer's day through TestClient on both backends: search, sorting and paging of the queue
and register, counts, bulk upload of a .zip, the basis in the register CSV, archivists read-only,
Chinese error pages, the plain audit page and its export."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from typing import Any

from documents import EXAM_BEFORE

from .conftest import csrf_of
from .test_pages import _decide, _submit

PLAIN = "关于调整机关食堂开放时间的通知。自下月起午餐时间调整为十一点半。"


def _switch(client: Any, sign_in: Any, name: str) -> None:
    client.cookies.clear()
    sign_in(client, name)


def test_queue_search_sort_paging_and_counts(web: Any, sign_in: Any) -> None:
    _wa, client = web
    sign_in(client, "drafter")
    exam = _submit(client, EXAM_BEFORE, "试卷交接")
    plain_ids = [_submit(client, PLAIN + f"（第{n}份）", f"食堂通知{n}") for n in range(3)]
    _switch(client, sign_in, "resp_low")
    page = client.get("/queue")
    assert re.search(r'id="count-pending">4<', page.text)
    # 发文字号 of the exam notice, and the start of its SHA-256
    by_number = client.get("/queue", params={"q": "某考院〔2026〕"})
    assert "试卷交接" in by_number.text and "食堂通知" not in by_number.text
    sha = hashlib.sha256(EXAM_BEFORE.encode("utf-8")).hexdigest()
    assert "试卷交接" in client.get("/queue", params={"q": sha[:10]}).text
    assert "没有符合条件" in client.get("/queue", params={"q": "不存在的标题%_"}).text
    # the 机密 item is above a 秘密 authority: marked, and first when sorted by level
    row = re.search(rf'<tr class="above">\s*<td><a href="/suggestions/{exam}">', page.text)
    assert row and "超出您的权限" in page.text
    by_level = client.get("/queue", params={"sort": "level"}).text
    assert by_level.index("试卷交接") < by_level.index("食堂通知0")
    newest = client.get("/queue", params={"sort": "newest"}).text
    assert newest.index("食堂通知2") < newest.index("食堂通知0")
    assert client.get("/queue", params={"page": "99999999999"}).status_code == 200
    assert plain_ids


def test_bulk_upload_of_files_and_a_zip(web: Any, sign_in: Any) -> None:
    _wa, client = web
    sign_in(client, "drafter")
    page = client.get("/check")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a/exam.txt", EXAM_BEFORE)
        z.writestr("b/plain.txt", PLAIN)
        z.writestr("c/tool.exe", b"MZ")
    r = client.post(
        "/check/bulk",
        data={"csrf": csrf_of(page.text)},
        files=[
            ("files", ("batch.zip", archive.getvalue(), "application/zip")),
            ("files", ("one.txt", PLAIN.encode("utf-8"), "text/plain")),
        ],
    )
    assert r.status_code == 200 and "已提交审核 3 份，未提交 1 份" in r.text
    assert "batch.zip/c/tool.exe" in r.text and "不支持的文件类型" in r.text
    assert len(re.findall(r'href="/suggestions/\d+"', r.text)) == 3
    none = client.post("/check/bulk", data={"csrf": csrf_of(page.text)})
    assert none.status_code == 422 and "请选择要批量提交的文件" in none.text


def test_register_csv_basis_archivist_read_only_and_exports(web: Any, sign_in: Any) -> None:
    _wa, client = web
    sign_in(client, "drafter")
    sid = _submit(client, EXAM_BEFORE, "试卷交接")
    _switch(client, sign_in, "resp_mid")
    form = client.get(f"/suggestions/{sid}").text
    assert 'value="confirm" id="action-confirm"' in form and "disabled" not in form.split('id="action-confirm"')[1][:20]
    done = _decide(client, sid, action="change", level="机密", period="2027-06-30", basis="other",
                   basis_other="edu-06", reason="考试于2027年6月举行")
    assert done.status_code == 200 and "机密★2027年6月30日" in done.text
    _switch(client, sign_in, "archivist")
    register = client.get("/register")
    assert "《教育工作中国家秘密及其密级具体范围的规定》第三条" in register.text and "机密★2027年6月30日" in register.text
    csv_text = client.get("/register.csv").content.decode("utf-8-sig")
    header, first = csv_text.splitlines()[:2]
    assert "定密依据（规定及条款）" in header and "《教育工作中国家秘密及其密级具体范围的规定》第三条" in first
    assert "机密★2027年6月30日" in first and "系统建议标志" in header
    item = client.get(f"/suggestions/{sid}")
    assert item.status_code == 200 and 'id="read-only"' in item.text and 'id="decide"' not in item.text
    assert client.get(f"/suggestions/{sid}/marked.docx").headers["content-type"].startswith("application/vnd.openxml")
    assert client.post(f"/suggestions/{sid}/decision", data={"csrf": csrf_of(item.text)}).status_code == 403


def test_decision_form_messages_are_chinese_and_say_what_is_missing(web: Any, sign_in: Any) -> None:
    _wa, client = web
    sign_in(client, "drafter")
    sid = _submit(client, EXAM_BEFORE, "试卷交接")
    _switch(client, sign_in, "resp_mid")
    nothing = _decide(client, sid)
    assert nothing.status_code == 422 and "请选择决定类型" in nothing.text
    no_entry = _decide(client, sid, action="confirm", basis="other")
    assert no_entry.status_code == 422 and "请在目录列表中选定一个条目" in no_entry.text
    numerals = _decide(client, sid, action="change", level="秘密", period="十年")
    assert "阿拉伯数字" in numerals.text
    reasonless = _decide(client, sid, action="change", level="秘密", period="启用前")
    assert "必须填写理由" in reasonless.text and "（reason）" not in reasonless.text
    esc = client.get(f"/suggestions/{sid}")
    missing = client.post(f"/suggestions/{sid}/escalation", data={"csrf": csrf_of(esc.text), "to": ""})
    assert missing.status_code == 422 and "请填写接收人、报请理由" in missing.text


def test_pages_answer_errors_in_chinese(web: Any, sign_in: Any) -> None:
    _wa, client = web
    sign_in(client, "resp_mid")
    for path, status, text in (
        ("/no-such-page", 404, "未找到该页面"),
        ("/suggestions/abc", 422, "参数无效"),
        ("/suggestions/99999999999999999999", 422, "参数无效"),
        ("/suggestions/424242", 404, "未找到该建议"),
    ):
        r = client.get(path)
        assert r.status_code == status and r.headers["content-type"].startswith("text/html"), path
        assert text in r.text and '"detail"' not in r.text
    assert client.get("/v1/no-such-route").headers["content-type"].startswith("application/json")


def test_audit_page_is_plain_newest_first_and_exported(web: Any, sign_in: Any) -> None:
    _wa, client = web
    sign_in(client, "drafter")
    sid = _submit(client, EXAM_BEFORE, "试卷交接")
    _switch(client, sign_in, "resp_mid")
    _decide(client, sid, action="change", level="机密", period="10年", reason="按十年", basis="edu-06")
    _switch(client, sign_in, "auditor")
    page = client.get("/audit").text
    assert f"resp_mid 将 建议 #{sid} 变更为 机密★10年" in page
    assert f"drafter 提交文件，生成 建议 #{sid}" in page
    assert page.index(f"将 建议 #{sid} 变更为") < page.index(f"生成 建议 #{sid}")  # newest first
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d", page)
    export = client.get("/audit.csv")
    assert export.status_code == 200 and f"resp_mid 将 建议 #{sid} 变更为 机密★10年" in export.content.decode("utf-8-sig")
