"""Serve any botkit ``Agent`` as an AG-UI HTTP endpoint (for tests and demos).

    async with serve_ag_ui(ScriptedAgent(default=Say("hi"))) as url:
        bot = create_bot(adapters=[fake], agent=AgUiHttpAgent(url))

The server listens on 127.0.0.1 on a free port. A request body that is not a valid
``RunAgentInput`` is answered ``422`` (with pydantic's error list as ``detail``), a body
that is not JSON ``415``; a valid one gets ``200`` and the run as Server-Sent Events. An
agent that raises mid-run ends the stream with ``RUN_ERROR``. Needs ``aiohttp`` (the
``slack`` extra).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

import ag_ui.core as agui
from ag_ui.encoder import EventEncoder
from pydantic import ValidationError

from botkit.agents.base import Agent, AgentLike
from botkit.errors import AgentError, UserError

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["serve_ag_ui"]

log = logging.getLogger("botkit.testing")


def _agent_for(agent: AgentLike, thread_id: str) -> Agent:
    return agent if isinstance(agent, Agent) else agent(thread_id)


def _handler(agent: AgentLike) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    from aiohttp import web

    encoder = EventEncoder()

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.content_type != "application/json":
            return web.json_response(
                {"detail": f"expected application/json, got {request.content_type}"},
                status=415)
        try:
            run_input = agui.RunAgentInput.model_validate_json(await request.read())
        except ValidationError as exc:
            return web.json_response({"detail": json.loads(exc.json(include_url=False))},
                                     status=422)
        response = web.StreamResponse(headers={"Content-Type": encoder.get_content_type(),
                                               "Cache-Control": "no-cache"})
        await response.prepare(request)
        events = _agent_for(agent, run_input.thread_id).run(run_input)
        try:
            async for event in events:
                await response.write(encoder.encode(event).encode())
        except ConnectionResetError:
            log.info("the AG-UI client went away during run %s", run_input.run_id)
            return response
        except Exception as exc:
            message = str(exc) if isinstance(exc, AgentError) else type(exc).__name__
            log.warning("served agent failed during run %s: %s", run_input.run_id, message)
            error = agui.RunErrorEvent(message=message)
            with contextlib.suppress(ConnectionResetError):
                await response.write(encoder.encode(error).encode())
        finally:
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                await aclose()
        await response.write_eof()
        return response

    return handle


@contextlib.asynccontextmanager
async def serve_ag_ui(
    agent: AgentLike, *, path: str = "/agent", host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Serve ``agent`` (or an agent factory, called with the thread id) at ``POST path``
    for the duration of the block; yields the endpoint's URL."""
    try:
        from aiohttp import web
    except ImportError as exc:  # pragma: no cover - aiohttp ships with the slack extra
        raise UserError('serve_ag_ui needs aiohttp: pip install "botkit[slack]"') from exc

    app = web.Application()
    app.router.add_post(path, _handler(agent))
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        yield f"http://{bound_host}:{bound_port}{path}"
    finally:
        await runner.cleanup()
