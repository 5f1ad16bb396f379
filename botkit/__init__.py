"""botkit: put AI agents into chat platforms.

    from botkit import create_bot, ui

    bot = create_bot(adapters=[...], agent=..., tools=[create_ticket])

    @bot.on_mention
    async def answer(ctx):
        await ctx.thread.run_agent()
"""

from botkit import ui
from botkit.adapter import BaseAdapter, Capabilities, PlatformAdapter, StreamPart, ToolProgress
from botkit.agents.base import Agent, AgentFactory
from botkit.agents.http import AgUiHttpAgent
from botkit.agents.openai import OpenAIChatAgent
from botkit.agents.pydantic_ai import PydanticAIAgent
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
from botkit.store import (
    MemoryStore,
    PubSub,
    RedisStore,
    SQLiteStore,
    StateStore,
    Subscription,
    store_from_url,
)
from botkit.thread import Thread
from botkit.threads import (
    RunRecord,
    ThreadEvent,
    ThreadNotFound,
    ThreadPage,
    ThreadQueryError,
    ThreadRecord,
    Threads,
    ThreadsAPIConfig,
)
from botkit.tools import BotTool, ToolContext, define_bot_tool
from botkit.types import (
    Attachment,
    Conversation,
    FileResult,
    MessageRef,
    PlatformUser,
    ThreadMessage,
)

__version__ = "0.1.0"

__all__ = [
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
