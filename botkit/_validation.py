"""``create_bot``'s options and their checks, so misuse fails at once with the fix in the
message."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypedDict

from botkit._agent_context import ContextEntry
from botkit._turns import Concurrency
from botkit.adapter import BaseAdapter, PlatformAdapter
from botkit.agents.base import AgentLike
from botkit.errors import UserError
from botkit.inbox.records import InboxConfig
from botkit.run.tools import BotTool
from botkit.store.base import StateStore
from botkit.threads.config import ThreadsAPIConfig


class BotOptions(TypedDict, total=False):
    """``create_bot``'s options: exactly ``Bot``'s keyword arguments (a test keeps them
    equal)."""

    adapters: Iterable[PlatformAdapter]
    agent: AgentLike | None
    tools: Iterable[BotTool | Callable[..., Any]]
    context: Iterable[ContextEntry | Mapping[str, Any] | tuple[str, Any]]
    name: str | None
    store: StateStore | None
    max_iterations: int
    interrupt_event_names: Iterable[str]
    dedup_ttl: float
    concurrency: Concurrency
    lock_ttl: float
    threads_api: ThreadsAPIConfig | None
    inbox: InboxConfig | bool | None


def checked_bot_arguments(*, adapters: Any, agent: Any, tools: Any, context: Any,
                          max_iterations: Any) -> tuple[list[Any], list[Any], list[Any]]:
    """The adapters, tools and context as lists, once every argument is known to be usable."""
    adapters, tools, context = (list(v) if _is_collection(v) else v
                                for v in (adapters, tools, context))
    if not _is_collection(adapters):
        raise UserError("adapters must be a list of adapters, e.g. adapters=[SlackAdapter()]; "
                        f"got {type(adapters).__name__}")
    for adapter in adapters:
        if not (hasattr(adapter, "platform") and callable(getattr(adapter, "start", None))):
            raise UserError(f"{adapter!r} is not a platform adapter (it needs .platform and "
                            "async start/stop/post/…; subclass botkit.BaseAdapter)")
        missing = _missing_egress(adapter)
        if missing:
            raise UserError(f"{type(adapter).__name__} must implement "
                            f"{', '.join(m + '()' for m in missing)}: BaseAdapter has no "
                            "default for posting, editing or deleting a message")
    if agent is not None and not callable(getattr(agent, "run", None)) and not callable(agent):
        hint = " For an AG-UI server use botkit.agents.AgUiHttpAgent(url)." if isinstance(
            agent, str) else ""
        raise UserError("agent must be an Agent (an object with run(RunAgentInput)) or a "
                        f"function thread_id -> Agent; got {type(agent).__name__}.{hint}")
    if not _is_collection(tools):
        raise UserError("tools must be a list of functions or BotTools, e.g. tools=[create_ticket]")
    for tool in tools:
        if not callable(tool) and not hasattr(tool, "parameters"):
            raise UserError(f"tool {tool!r} is neither a function nor a BotTool")
    if not _is_collection(context):
        raise UserError('context must be a list, e.g. context=[("Company", "Acme")]')
    for entry in context:
        ok = (isinstance(entry, tuple) and len(entry) == 2) or (
            isinstance(entry, Mapping) and {"description", "value"} <= entry.keys()) or (
            hasattr(entry, "description") and hasattr(entry, "value"))
        if not ok:
            raise UserError(f"context entry {entry!r} must be a (description, value) pair, a "
                            'dict with "description" and "value", or a ContextEntry')
    if isinstance(max_iterations, bool) or not isinstance(max_iterations, int) \
            or max_iterations < 1:
        raise UserError(f"max_iterations must be a whole number ≥ 1, got {max_iterations!r}")
    return list(adapters), list(tools), list(context)


def _missing_egress(adapter: Any) -> list[str]:
    """The egress methods a ``BaseAdapter`` subclass left undefined."""
    if not isinstance(adapter, BaseAdapter):
        return []
    return [name for name in ("post", "update", "delete")
            if getattr(type(adapter), name) is getattr(BaseAdapter, name)]


def _is_collection(value: Any) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping)
