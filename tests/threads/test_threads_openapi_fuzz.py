"""schemathesis against the threads API's own OpenAPI document (a bounded run): no 5xx,
every response as documented, and no request the document calls valid is refused."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)
from threads_helpers import make_bot

from botkit.testing import FakeAdapter
from botkit.threads import ThreadsAPIConfig

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, positive_data_acceptance]


class ServedBot:
    """A bot serving the threads API from its own event loop in a thread (schemathesis
    calls it synchronously)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.fake = FakeAdapter()
        self.bot = make_bot(self.fake, threads_api=ThreadsAPIConfig(port=0))
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def call(self, work: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(30)

    def __enter__(self) -> str:
        self.thread.start()
        self.call(self.bot.start())
        self.call(self.fake.emit_mention("file a ticket"))
        self.call(self.fake.emit_mention("deploy it", conversation="C2:t2"))
        return str(self.bot.threads_api_url)

    def __exit__(self, *exc: object) -> None:
        self.call(self.bot.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def api_url() -> Iterator[str]:
    with ServedBot() as url:
        yield url


def test_the_api_agrees_with_its_openapi_document(api_url: str) -> None:
    session = requests.Session()
    schema = schemathesis.openapi.from_dict(session.get(f"{api_url}/openapi.json").json())
    failures: list[str] = []
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/threads/events":  # an endless stream: tested on its own
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            case.call_and_validate(base_url=api_url, session=session, checks=CHECKS)
        try:
            check()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
        tested += 1
    session.close()
    assert tested >= 20
    assert not failures, "\n\n".join(failures)
