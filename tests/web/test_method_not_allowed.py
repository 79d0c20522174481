"""A page answered with the wrong method keeps the ``Allow`` header beside its Chinese error page,
as the ``/v1`` routes do."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/login", {"GET", "HEAD", "POST"}),
        ("PUT", "/register", {"GET", "HEAD"}),
        ("POST", "/audit", {"GET", "HEAD"}),
    ],
)
def test_a_wrong_method_on_a_page_names_the_allowed_ones(
    web: Any, method: str, path: str, allowed: set[str]
) -> None:
    _wa, client = web
    r = client.request(method, path)
    assert r.status_code == 405
    assert r.headers["content-type"].startswith("text/html") and "请求方式不正确" in r.text
    assert {m.strip() for m in r.headers["allow"].split(",")} == allowed
