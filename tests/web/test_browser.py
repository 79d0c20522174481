"""The pages in a real browser: Playwright driving Debian's Chromium against uvicorn on 127.0.0.1.

One scenario, in order: a drafter checks and submits an exam-paper notice (机密); a 定密责任人
with 秘密 authority finds it marked above their authority, nothing preselected, and 报请上级 to a
named person; that person answers with a change (解密条件 “考试结束前”, basis chosen from the
catalog); the decided marking shows on the item (side by side on a wide screen, and in print), in
the drafter's list, the API item, the register and its CSV, and in the exported .docx; the
archivist opens the item read-only; the auditor sees the events and a good chain. Every request
of every page must stay on the server. Screenshots go to test-artifacts/web/.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from docx import Document
from documents import EXAM_BEFORE

from .conftest import PASSWORD

CHROMIUM = os.environ.get("DINGMI_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing (.ci/run installs Debian's chromium)", allow_module_level=True)

# every control that a user can operate must have a label (or an aria-label)
UNLABELLED_JS = """() => Array.from(document.querySelectorAll('input, select, textarea, button'))
  .filter(el => el.type !== 'hidden')
  .filter(el => el.tagName === 'BUTTON' ? !el.textContent.trim() : !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.outerHTML.slice(0, 80))"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


class Pages:
    """Browser contexts (one per person) that refuse and record any request off the server."""

    def __init__(self, browser: Any, base: str) -> None:
        self.browser = browser
        self.base = base
        self.foreign: list[str] = []
        self.requested: list[str] = []
        self.contexts: list[Any] = []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def _route(self, route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about") or (parts.hostname in LOCAL_HOSTS):
            route.continue_()
        else:
            self.foreign.append(url)
            route.abort()

    def person(self, name: str, width: int = 1280, height: int = 800) -> Any:
        context = self.browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        context.route("**/*", self._route)
        page = context.new_page()
        page.on("request", lambda req: self.requested.append(req.url))
        page.set_default_timeout(15000)
        self.contexts.append(context)
        page.goto(self.base + "/")
        assert "/login" in page.url
        page.get_by_label("用户名").fill(name)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        assert "/login" not in page.url, page.content()[:500]
        return page

    def shot(self, page: Any, name: str) -> None:
        assert page.evaluate(UNLABELLED_JS) == [], f"unlabelled controls on {page.url}"
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        for c in self.contexts:
            c.close()


def test_review_flow_in_a_real_browser(live: Any, browser: Any) -> None:
    wa, server = live
    pages = Pages(browser, server.url)
    try:
        _flow(pages, server.url, wa)
    finally:
        pages.close()
    assert pages.foreign == [], f"pages requested non-local URLs: {pages.foreign}"
    assert pages.requested and all(urlsplit(u).hostname in LOCAL_HOSTS for u in pages.requested if "://" in u)


def _flow(pages: Pages, base: str, wa: Any) -> None:
    # --- drafter: check, see the marking preview and the highlight, submit ---
    drafter = pages.person("drafter")
    assert drafter.url.endswith("/check")
    pages.shot(drafter, "01-check-empty")
    drafter.get_by_label("标题（可选）").fill("学业水平考试试卷印制交接")
    drafter.get_by_label("正文", exact=True).fill(EXAM_BEFORE)
    drafter.get_by_role("button", name="检查", exact=True).click()
    drafter.wait_for_selector("#marking-preview")
    assert drafter.locator("#marking-preview").inner_text().strip().startswith("机密★")
    drafter.wait_for_function("document.activeElement && document.activeElement.id === 'result'")
    assert drafter.evaluate("document.getElementById('result').getBoundingClientRect().top") < 100  # scrolled to it
    assert drafter.locator("#suggested-level").inner_text() == "机密"
    first = drafter.locator("mark#ev-1 a")
    assert "参考答案" in first.inner_text() and first.get_attribute("href") == "#entry-edu-06"
    assert drafter.locator("#entry-edu-06").count() == 1
    assert drafter.locator(".lowering").count() >= 1
    pages.shot(drafter, "02-check-result")
    drafter.get_by_role("button", name="提交审核").click()
    drafter.wait_for_url("**/suggestions/*")
    sid = drafter.url.split("/suggestions/")[1].split("?")[0]
    assert "已提交审核" in drafter.content() and drafter.locator("#status").inner_text() == "待审核"

    # --- 秘密 authority: nothing above it is preselected; the item is marked in the queue; 报请上级 ---
    low = pages.person("resp_low")
    assert low.url.endswith("/queue")
    row = low.get_by_role("link", name="学业水平考试试卷印制交接")
    assert row.count() == 1
    assert "超出您的权限" in low.locator("#queue tbody tr", has=row).inner_text()
    pages.shot(low, "03-queue")
    row.click()
    low.wait_for_url(f"**/suggestions/{sid}")
    confirm = low.locator("#action-confirm")
    assert confirm.is_disabled() and not confirm.is_checked()
    assert low.locator("input[name=action]:checked").count() == 0
    assert "超出您的定密权限（秘密）" in low.locator("#above-authority").inner_text()
    assert "机密" not in low.locator("#level option").all_inner_texts()
    low.get_by_role("button", name="提交决定").click()
    assert "请选择决定类型" in low.locator("#decision-error").inner_text()
    pages.shot(low, "04-decision-refused")
    assert low.locator("#esc-to-select option[value=resp_low]").count() == 0
    low.get_by_label("接收人", exact=False).select_option("resp_mid")
    low.get_by_label("报请理由").fill("拟定机密，超出本人定密权限")
    low.get_by_role("button", name="报请上级", exact=True).click()
    low.wait_for_url("**escalated=1")
    assert "已报请上级" in low.locator("#status").inner_text() and "resp_mid" in low.locator("#status").inner_text()
    assert low.locator("#esc-to").inner_text() == "resp_mid" and "工作日" in low.locator("#esc-due").inner_text()
    assert low.locator("#decide").count() == 0  # only the recipient answers now
    pages.shot(low, "11-escalated")

    # --- the recipient (机密 authority) answers: a change with a condition period and a chosen basis ---
    mid = pages.person("resp_mid")
    assert "1" == mid.locator("#count-to-me").inner_text()
    mid.goto(f"{base}/queue?scope=mine")
    mid.get_by_role("link", name="学业水平考试试卷印制交接").click()
    mid.wait_for_url(f"**/suggestions/{sid}")
    mid.get_by_label("变更密级或期限").check()
    mid.get_by_label("密级（变更时", exact=False).select_option("机密")
    mid.get_by_label("保密期限（变更时", exact=False).fill("考试结束前")
    mid.locator("#basis-other").select_option("edu-06")
    assert mid.locator("#basis-other-choice").is_checked()
    mid.get_by_label("知悉范围").fill("省考试院命题、印制工作人员")
    pages.shot(mid, "12-decision-form")
    mid.get_by_role("button", name="提交决定").click()
    assert "必须填写理由" in mid.locator("#decision-error").inner_text()
    assert "（reason）" not in mid.locator("#decision-error").inner_text()
    mid.locator("#reason").fill("试卷在考试结束后解密，依据教育工作保密范围第三条")
    mid.get_by_role("button", name="提交决定").click()
    mid.wait_for_url("**decided=1")
    assert mid.locator("#status").inner_text() == "已确定"
    assert mid.locator("#marking-preview").inner_text().strip() == "机密★考试结束前"
    assert mid.locator("#decided-marking").inner_text() == "机密★考试结束前"
    assert "《教育工作中国家秘密及其密级具体范围的规定》第三条" in mid.locator("#decided-basis").inner_text()
    assert mid.locator("#suggested-level").inner_text() == "机密"  # the suggestion stays visible beside it
    assert "已答复" in mid.locator("#esc-answer").inner_text()
    pages.shot(mid, "05-decided")
    wide = pages.person("resp_mid", width=1600, height=1000)
    wide.goto(f"{base}/suggestions/{sid}")
    doc_box, side_box = wide.locator(".review-doc").bounding_box(), wide.locator(".review-side").bounding_box()
    assert doc_box["x"] + doc_box["width"] <= side_box["x"] and abs(doc_box["y"] - side_box["y"]) < 5
    pages.shot(wide, "13-side-by-side")
    wide.emulate_media(media="print")
    assert wide.locator("header.top").is_hidden() and wide.locator("#decide").is_hidden()
    wide.screenshot(path=str(ARTIFACTS / "14-print.png"), full_page=True)

    # --- the marked document and the 定密审批表 ---
    marked = mid.request.get(f"{base}/suggestions/{sid}/marked.docx")
    assert marked.ok
    document = Document(io.BytesIO(marked.body()))
    assert [p.text for p in document.paragraphs][1] == "机密★考试结束前"
    assert document.sections[0].header.paragraphs[0].text == "机密★考试结束前"
    form = Document(io.BytesIO(mid.request.get(f"{base}/suggestions/{sid}/approval.docx").body()))
    cells = {r.cells[0].text: r.cells[1].text for r in form.tables[0].rows}
    assert cells["定密责任人"] == "resp_mid" and cells["国家秘密标志"] == "机密★考试结束前"

    # --- the decided marking everywhere: the drafter's list, the API item, the register and CSV ---
    drafter.goto(f"{base}/check")
    mine = drafter.locator("#mine tbody tr").first.inner_text()
    assert "机密★考试结束前" in mine and "已确定" in mine
    api = drafter.request.get(f"{base}/v1/suggestions/{sid}", headers={"Authorization": f"Bearer {wa.tokens['drafter']}"})
    decision = api.json()["decision"]
    assert (decision["marking"], decision["basis"], decision["period"]) == ("机密★考试结束前", "edu-06", "考试结束前")
    mid.get_by_role("link", name="定密台账").click()
    mid.wait_for_url("**/register")
    reg = mid.locator("#register tbody tr").first
    assert "机密★考试结束前" in reg.inner_text() and "学业水平考试试卷印制交接" in reg.inner_text()
    assert "《教育工作中国家秘密及其密级具体范围的规定》第三条" in reg.inner_text()
    assert mid.locator("#csv-link").get_attribute("href") == "/register.csv"
    csv_text = mid.request.get(f"{base}/register.csv").body().decode("utf-8-sig")
    assert "机密★考试结束前" in csv_text and "《教育工作中国家秘密及其密级具体范围的规定》第三条" in csv_text
    pages.shot(mid, "06-register")
    mid.goto(f"{base}/catalog?q=测绘")
    assert mid.get_by_text("来源说明：目录概括，二手").count() >= 1
    pages.shot(mid, "07-catalog")
    mid.goto(f"{base}/catalog/edu-06")
    assert "学业水平考试试卷印制交接" in mid.content()
    mid.goto(f"{base}/")
    assert mid.locator("#count-pending").count() == 1
    pages.shot(mid, "15-home")

    # keyboard: the skip link is the first stop and the main navigation is reachable by Tab
    mid.goto(f"{base}/queue")
    mid.keyboard.press("Tab")
    assert mid.evaluate("document.activeElement.textContent") == "跳到正文"

    # --- archivist: opens the item from the register, read-only ---
    archivist = pages.person("archivist")
    archivist.get_by_role("link", name="学业水平考试试卷印制交接").click()
    archivist.wait_for_url(f"**/suggestions/{sid}")
    assert archivist.locator("#read-only").count() == 1 and archivist.locator("#decide").count() == 0
    assert archivist.locator("#export-marked").count() == 1

    # --- an unknown address is a Chinese page, not JSON ---
    archivist.goto(f"{base}/no-such-page")
    assert "未找到该页面" in archivist.locator("[role=alert]").inner_text()
    pages.shot(archivist, "16-not-found")

    # --- auditor: events and a good chain ---
    auditor = pages.person("auditor")
    assert auditor.url.endswith("/audit")
    assert "哈希链校验通过" in auditor.locator("#chain").inner_text()
    events = auditor.locator("#events").inner_text()
    for action in ("suggestion.created", "suggestion.decided", "suggestion.escalated", "auth.signed_in"):
        assert action in events
    assert "试卷" not in events and PASSWORD not in events
    pages.shot(auditor, "08-audit")

    # --- a narrow screen: no horizontal scrolling of the page itself ---
    narrow = pages.person("drafter", width=390, height=844)
    narrow.goto(f"{base}/suggestions/{sid}")
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 391
    pages.shot(narrow, "09-narrow-detail")

    # an uploaded file, submitted unedited, is submitted as the file itself (name and SHA-256 kept)
    narrow.goto(f"{base}/check")
    narrow.get_by_label("标题（可选）").fill("上传的考试通知")
    narrow.get_by_label("或上传文件", exact=False).set_input_files(
        files=[{"name": "exam.txt", "mimeType": "text/plain", "buffer": EXAM_BEFORE.encode("utf-8")}]
    )
    narrow.get_by_role("button", name="检查", exact=True).click()
    narrow.wait_for_selector("#marking-preview")
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 391
    pages.shot(narrow, "10-narrow-check")
    narrow.get_by_role("button", name="提交审核").click()
    narrow.wait_for_url("**/suggestions/*")
    assert "exam.txt" in narrow.content()
    assert hashlib.sha256(EXAM_BEFORE.encode("utf-8")).hexdigest() in narrow.content()

    # several files in one go
    drafter.goto(f"{base}/check")
    drafter.locator("details summary").click()
    drafter.get_by_label("选择文件", exact=False).set_input_files(
        files=[
            {"name": "a.txt", "mimeType": "text/plain", "buffer": EXAM_BEFORE.encode("utf-8")},
            {"name": "b.txt", "mimeType": "text/plain", "buffer": "关于调整食堂开放时间的通知。".encode("utf-8")},
        ]
    )
    drafter.get_by_role("button", name="批量提交审核").click()
    drafter.wait_for_url("**/check/bulk")
    assert "已提交审核 2 份" in drafter.locator("[role=status]").inner_text()
    pages.shot(drafter, "17-bulk")
