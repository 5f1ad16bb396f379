"""botkit: put AI agents into chat platforms.

    from botkit import create_bot, ui

    bot = create_bot(adapters=[...], agent=..., tools=[create_ticket])

    @bot.on_mention
    async def answer(ctx):
        await ctx.thread.run_agent()
"""

import typing as _typing

from botkit import (
    _agui,  # noqa: F401  (first: AG-UI's models build when first used)
    _deferred_imports,  # noqa: F401  (aiohttp's and slack_sdk's import-time work, deferred)
    ui,
)
from botkit import agents as _agents
from botkit import store as _store
from botkit._lazy import lazy_exports as _lazy_exports
from botkit.adapter import BaseAdapter, Capabilities, PlatformAdapter, StreamPart, ToolProgress
from botkit.agents.base import Agent, AgentFactory
from botkit.agents.scripted import ScriptedAgent
from botkit.bot import Bot, ContextEntry, create_bot
from botkit.context import (
    Action,
    CommandContext,
    InteractionContext,
    InterruptContext,
    ModalCloseContext,
    ModalSubmitContext,
    ReactionContext,
    ThreadStartedContext,
    TurnContext,
)
from botkit.errors import (
    AdapterError,
    AgentError,
    BotkitError,
    ChoiceCancelled,
    ChoiceTimeout,
    InteractionExpired,
    UserError,
)
from botkit.events import (
    CommandEvent,
    Event,
    InteractionEvent,
    MessageEvent,
    ModalCloseEvent,
    ModalReply,
    ModalSubmitEvent,
    ReactionEvent,
    ThreadStartedEvent,
)
from botkit.run.result import RunResult
from botkit.store import MemoryStore, PubSub, StateStore, Subscription, store_from_url
from botkit.thread import Thread
from botkit.threads import (
    APIToken,
    RunRecord,
    ThreadEvent,
    ThreadNotFound,
    ThreadPage,
    ThreadQueryError,
    ThreadRecord,
    Threads,
    ThreadsAPIConfig,
    ThreadsError,
)
from botkit.threads.config import provide_server as _provide_server
from botkit.threads.serving import serve_threads_api as _serve_threads_api
from botkit.tools import BotTool, ToolContext, define_bot_tool
from botkit.types import (
    Attachment,
    Conversation,
    FileResult,
    MessageRef,
    PlatformUser,
    ThreadMessage,
)

if _typing.TYPE_CHECKING:
    from botkit.agents.http import AgUiHttpAgent
    from botkit.agents.openai import OpenAIChatAgent
    from botkit.agents.pydantic_ai import PydanticAIAgent
    from botkit.store.redis import RedisStore
    from botkit.store.sqlite import SQLiteStore
    from botkit.threads.routes import Route, RouteGroup

__version__ = "0.1.0"

# the HTTP agent backends need httpx, the SQLite and Redis stores their own modules: loaded
# when first named (``botkit.AgUiHttpAgent``, ``botkit.SQLiteStore``), so a bot that does
# not use them does not carry them (startup time and memory); so are the pydantic-ai agent
# and the threads API's ``Route``/``RouteGroup`` (for routes of one's own)
_ROUTES = "botkit.threads.routes"
__getattr__, __dir__ = _lazy_exports(__name__, {**_agents.LAZY_BACKENDS, **_store.LAZY_STORES,
                                                "Route": _ROUTES, "RouteGroup": _ROUTES})

_provide_server(_serve_threads_api)  # the threads HTTP API (the edge) serves bots' threads_api

__all__ = [
    "APIToken",
    "Action",
    "AdapterError",
    "AgUiHttpAgent",
    "Agent",
    "AgentError",
    "AgentFactory",
    "Attachment",
    "BaseAdapter",
    "Bot",
    "BotTool",
    "BotkitError",
    "Capabilities",
    "ChoiceCancelled",
    "ChoiceTimeout",
    "CommandContext",
    "CommandEvent",
    "ContextEntry",
    "Conversation",
    "Event",
    "FileResult",
    "InteractionContext",
    "InteractionEvent",
    "InteractionExpired",
    "InterruptContext",
    "MemoryStore",
    "MessageEvent",
    "MessageRef",
    "ModalCloseContext",
    "ModalCloseEvent",
    "ModalReply",
    "ModalSubmitContext",
    "ModalSubmitEvent",
    "OpenAIChatAgent",
    "PlatformAdapter",
    "PlatformUser",
    "PubSub",
    "PydanticAIAgent",
    "ReactionContext",
    "ReactionEvent",
    "RedisStore",
    "Route",
    "RouteGroup",
    "RunRecord",
    "RunResult",
    "SQLiteStore",
    "ScriptedAgent",
    "StateStore",
    "StreamPart",
    "Subscription",
    "Thread",
    "ThreadEvent",
    "ThreadMessage",
    "ThreadNotFound",
    "ThreadPage",
    "ThreadQueryError",
    "ThreadRecord",
    "ThreadStartedContext",
    "ThreadStartedEvent",
    "Threads",
    "ThreadsAPIConfig",
    "ThreadsError",
    "ToolContext",
    "ToolProgress",
    "TurnContext",
    "UserError",
    "__version__",
    "create_bot",
    "define_bot_tool",
    "store_from_url",
    "ui",
]
