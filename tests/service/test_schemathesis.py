"""Property-based requests from the OpenAPI spec (schemathesis): no 5xx, bodies match the spec."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from dingmi_service import accounts
from dingmi_service.main import create_app
from dingmi_service.settings import Settings
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from .conftest import DERIVED_DOC, PLAIN_DOC, UNCLEAR_DOC, RunningServer, private_dir

# Which account calls which route (by path prefix), so that generated requests get past auth.
CALLER = [
    ("/v1/audit", "auditor"),
    ("/v1/register", "archivist"),
    ("/v1/system", "admin"),
    ("/v1/users", "security"),
    ("/v1/org", "security"),
    ("/v1/suggestions", "responsible"),
    ("/v1/me", "drafter"),
]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api(engine: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = private_dir(tmp_path_factory.mktemp("schemathesis") / "data")
    app = create_app(Settings(data_dir=data, max_upload_bytes=256 * 1024), engine=engine)
    with RunningServer(app) as server:
        db = app.state.db
        tokens = {
            role: accounts.create_user(
                db, role, role, "绝密" if role == "responsible" else None, actor_id=None, via="test"
            ).token
            for role in ("drafter", "responsible", "archivist", "admin", "security", "auditor")
        }
        accounts.set_org(db, "设区的市", actor_id=None, via="test")
        import httpx

        for doc in (PLAIN_DOC, DERIVED_DOC.format(level="机密", period="20年"), UNCLEAR_DOC):
            httpx.post(
                f"{server.url}/v1/suggestions",
                json={"text": doc},
                headers={"Authorization": f"Bearer {tokens['drafter']}"},
            )
        yield {"url": server.url, "tokens": tokens}


@pytest.fixture(scope="module")
def openapi(api: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_url(f"{api['url']}/openapi.json")


schema = schemathesis.pytest.from_fixture("openapi")


@schema.parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors(case: Any, api: dict[str, Any]) -> None:
    role = next(r for prefix, r in CALLER if case.path.startswith(prefix))
    response = case.call(headers={"Authorization": f"Bearer {api['tokens'][role]}"})
    case.validate_response(response, excluded_checks=[positive_data_acceptance, negative_data_rejection])
    assert response.status_code < 500
