"""The errors botkit raises.

The tree separates misuse (your code, fixable by you) from failures of the world outside
(the chat platform, the agent) and from the outcomes of waiting on people::

    BotkitError
    ├── UserError            misuse of botkit; the message says how to fix it
    ├── AdapterError         the chat platform failed or refused a call
    ├── AgentError           the agent backend failed (HTTP error, RUN_ERROR, bad stream …)
    ├── ChoiceTimeout        await_choice(timeout=…) ran out before anyone answered
    ├── ChoiceCancelled      the bot's own code cancelled a pending await_choice
    └── InteractionExpired   a click or resume arrived for something no longer pending

``RunSuspended`` is not an error: it unwinds an agent run whose tool waits for a person when
the bot stops (or another replica took the answer over); the run continues by replay.
"""

from __future__ import annotations

__all__ = [
    "AdapterError",
    "AgentError",
    "BotkitError",
    "ChoiceCancelled",
    "ChoiceTimeout",
    "InteractionExpired",
    "RunSuspended",
    "UserError",
]


class BotkitError(Exception):
    """Base class of every error botkit raises on purpose."""


class UserError(BotkitError):
    """botkit was used in a way that cannot work; the message names the fix."""


class AdapterError(BotkitError):
    """The chat platform failed or refused a call.

    ``platform`` names the adapter (``"slack"``, ``"console"`` …) and ``code`` carries the
    platform's own error code when there is one (e.g. Slack's ``"channel_not_found"``).
    """

    def __init__(self, message: str, *, platform: str = "", code: str | None = None) -> None:
        super().__init__(message)
        self.platform = platform
        self.code = code


class AgentError(BotkitError):
    """The agent backend failed: it could not be reached, answered with an error, sent a
    malformed or truncated stream, or reported ``RUN_ERROR``."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class ChoiceTimeout(BotkitError):
    """Nobody answered an ``await_choice`` before its ``timeout``."""


class ChoiceCancelled(BotkitError):
    """A pending ``await_choice`` was cancelled from code (``thread.cancel_choices``): its
    card is closed and the ``await_choice`` raises this, with the reason given."""


class InteractionExpired(BotkitError):
    """A click or a resume arrived for a choice, button or interrupt that is no longer
    pending (already answered, expired, or from before a restart without a durable store)."""


class RunSuspended(BaseException):
    """An agent run stopped waiting here for a person's answer: the bot is stopping, or
    another process took the answer over. The pending choice stays recorded in the store
    and the run continues where the answer is handled (a replay of the tool call). A
    ``BaseException``, so tool and handler code that catches ``Exception`` lets it pass."""
