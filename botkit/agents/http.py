"""``AgUiHttpAgent``: any AG-UI server over HTTP (POST ``RunAgentInput``, read SSE).

    agent = AgUiHttpAgent("https://agents.example.com/helpdesk",
                          headers={"Authorization": f"Bearer {token}"})
    bot = create_bot(adapters=[...], agent=agent)

Every failure (connection refused, HTTP 4xx/5xx, timeouts, a stream that breaks off or
ends without ``RUN_FINISHED``, malformed JSON) raises ``AgentError`` with a message fit to
show in the conversation. A run is never retried: runs are not idempotent. Header values
(credentials) never appear in reprs, logs or error messages. Events are decoded
leniently: unknown event types and outcomes are skipped with a warning.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import ag_ui.core as agui
import httpx

from botkit.agents._transport import SsePost
from botkit.agents._wire import EventDecoder, safe_url
from botkit.errors import AgentError

__all__ = ["AgUiHttpAgent"]

log = logging.getLogger("botkit.agents")

_TERMINAL = {agui.EventType.RUN_FINISHED, agui.EventType.RUN_ERROR}


class AgUiHttpAgent:
    """An ``Agent`` that runs an AG-UI endpoint over HTTP + Server-Sent Events.

    ``headers`` are sent with every run (e.g. ``Authorization``); botkit treats their
    values as secrets. ``timeout`` bounds connecting (``connect_timeout``) and each wait
    for more of the stream; ``deadline`` bounds a whole run (None: no limit). Pass
    ``client`` to reuse your own ``httpx.AsyncClient`` (proxies, TLS, transports);
    otherwise each run opens and closes its own connection.
    """

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        deadline: float | None = 600.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = url
        self._http = SsePost(url, name=f"the agent at {safe_url(url)}", headers=headers,
                             timeout=timeout, connect_timeout=connect_timeout,
                             deadline=deadline, client=client)

    def __repr__(self) -> str:
        return f"AgUiHttpAgent({safe_url(self.url)!r}, headers={self._http.redacted_headers()})"

    def build_body(self, run_input: agui.RunAgentInput) -> dict[str, Any]:
        """The JSON body of one run: camelCase, absent fields left out. Override to add
        server-specific fields."""
        body: dict[str, Any] = run_input.model_dump(mode="json", by_alias=True,
                                                    exclude_none=True)
        return body

    async def run(self, run_input: agui.RunAgentInput) -> AsyncIterator[agui.BaseEvent]:
        name = self._http.name
        decoder = EventDecoder(name)
        terminal = False
        log.debug("AG-UI run %s of thread %s", run_input.run_id, run_input.thread_id)
        async with contextlib.aclosing(self._http.stream(self.build_body(run_input))) as stream:
            async for data in stream:
                event = decoder.decode(data)
                if event is None:
                    continue
                if terminal and event.type != agui.EventType.RUN_ERROR:
                    continue  # after the terminal event only a late RUN_ERROR matters
                terminal = terminal or event.type in _TERMINAL
                yield event
                if event.type == agui.EventType.RUN_ERROR:
                    return
        if not terminal:
            raise AgentError(f"{name} ended its stream before the run finished",
                             code="truncated")
