"""The pages in a real browser: Playwright driving Debian's Chromium against uvicorn on 127.0.0.1.

One scenario, in order: a drafter checks and submits an exam-paper notice (机密); a 定密责任人
with 秘密 authority cannot confirm it and is told why; one with 机密 authority changes it with a
reason; it is in the register and the catalog entry; the auditor sees the events and a good
chain. Every request of every page must stay on the server. Screenshots go to test-artifacts/web/.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
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
    _wa, server = live
    pages = Pages(browser, server.url)
    try:
        _flow(pages, server.url)
    finally:
        pages.close()
    assert pages.foreign == [], f"pages requested non-local URLs: {pages.foreign}"
    assert pages.requested and all(urlsplit(u).hostname in LOCAL_HOSTS for u in pages.requested if "://" in u)


def _flow(pages: Pages, base: str) -> None:
    # --- drafter: check, see the marking preview and the highlight, submit ---
    drafter = pages.person("drafter")
    assert drafter.url.endswith("/check")
    pages.shot(drafter, "01-check-empty")
    drafter.get_by_label("标题（可选）").fill("学业水平考试试卷印制交接")
    drafter.get_by_label("正文", exact=True).fill(EXAM_BEFORE)
    drafter.get_by_role("button", name="检查", exact=True).click()
    drafter.wait_for_selector("#marking-preview")
    assert drafter.locator("#marking-preview").inner_text().strip() == "机密★20年"
    assert drafter.locator("#suggested-level").inner_text() == "机密"
    first = drafter.locator("mark#ev-1 a")
    assert "试卷" in first.inner_text() and first.get_attribute("href") == "#entry-edu-06"
    assert drafter.locator("#entry-edu-06").count() == 1
    assert drafter.locator(".lowering").count() >= 1
    pages.shot(drafter, "02-check-result")
    drafter.get_by_role("button", name="提交审核").click()
    drafter.wait_for_url("**/suggestions/*")
    sid = drafter.url.split("/suggestions/")[1].split("?")[0]
    assert "已提交审核" in drafter.content() and drafter.locator("#status").inner_text() == "待审核"

    # --- 秘密 authority: may not confirm 机密; the rule is explained ---
    low = pages.person("resp_low")
    assert low.url.endswith("/queue")
    row = low.get_by_role("link", name="学业水平考试试卷印制交接")
    assert row.count() == 1
    pages.shot(low, "03-queue")
    row.click()
    low.wait_for_url(f"**/suggestions/{sid}")
    assert low.locator("#action-confirm").is_checked()
    low.get_by_role("button", name="提交决定").click()
    error = low.locator("#decision-error")
    error.wait_for()
    text = error.inner_text()
    assert "超出您的定密权限（秘密）" in text and "报请上级" in text and "定密权限内" in text
    pages.shot(low, "04-decision-refused")

    # --- 机密 authority: a change needs a reason, then goes through ---
    mid = pages.person("resp_mid")
    mid.goto(f"{base}/suggestions/{sid}")
    mid.get_by_label("变更密级或期限").check()
    mid.get_by_label("密级（变更时）").select_option("机密")
    mid.get_by_label("保密期限（变更时", exact=False).fill("10年")
    mid.get_by_label("知悉范围").fill("省考试院命题、印制工作人员")
    mid.get_by_role("button", name="提交决定").click()
    assert "必须填写理由" in mid.locator("#decision-error").inner_text()
    mid.get_by_label("理由", exact=False).fill("试卷启用后即解密，保密期限定为10年足以")
    mid.get_by_role("button", name="提交决定").click()
    mid.wait_for_url("**decided=1")
    assert mid.locator("#status").inner_text() == "已确定"
    pages.shot(mid, "05-decided")

    # --- register, catalog entry ---
    mid.get_by_role("link", name="定密台账").click()
    mid.wait_for_url("**/register")
    reg = mid.locator("#register tbody tr").first
    assert "机密★10年" in reg.inner_text() and "学业水平考试试卷印制交接" in reg.inner_text()
    assert mid.locator("#csv-link").get_attribute("href") == "/register.csv"
    pages.shot(mid, "06-register")
    mid.goto(f"{base}/catalog?q=考试")
    assert mid.get_by_role("link", name="edu-06").count() >= 1
    pages.shot(mid, "07-catalog")
    mid.goto(f"{base}/catalog/edu-06")
    assert "学业水平考试试卷印制交接" in mid.content()

    # keyboard: the skip link is the first stop and the main navigation is reachable by Tab
    mid.goto(f"{base}/queue")
    mid.keyboard.press("Tab")
    assert mid.evaluate("document.activeElement.textContent") == "跳到正文"

    # --- auditor: events and a good chain ---
    auditor = pages.person("auditor")
    assert auditor.url.endswith("/audit")
    assert "哈希链校验通过" in auditor.locator("#chain").inner_text()
    events = auditor.locator("#events").inner_text()
    for action in ("suggestion.created", "suggestion.decided", "request.refused", "auth.signed_in"):
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
