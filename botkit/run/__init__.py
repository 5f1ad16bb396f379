"""The agent run, in one place: the request it starts from (``request``), the loop that
drives any agent backend (``loop``) and assembles its AG-UI events (``assembler``), the
conversation it shows itself in (``surface``), bot tools and their calls (``tools``,
``calls``), interrupts waiting for a person (``interrupts``) and the thread-record
bookkeeping (``tracking``).

Nothing here imports the ``Bot`` or the ``Thread``: what only they can provide (the
``ToolContext`` of a call, what an interrupt does) is passed in."""

from botkit.run.calls import ToolCall
from botkit.run.interrupts import PendingInterrupt
from botkit.run.loop import AgentRunner, batch_records
from botkit.run.request import RunRequest
from botkit.run.result import RunResult, RunStatus
from botkit.run.surface import RunSurface
from botkit.run.tools import BotTool, ToolOutcome, call_tool, define_bot_tool

__all__ = [
    "AgentRunner",
    "BotTool",
    "PendingInterrupt",
    "RunRequest",
    "RunResult",
    "RunStatus",
    "RunSurface",
    "ToolCall",
    "ToolOutcome",
    "batch_records",
    "call_tool",
    "define_bot_tool",
]
