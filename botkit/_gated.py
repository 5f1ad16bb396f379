"""The ``Thread``'s capability-gated calls: each checks the adapter's ``Capabilities`` and
degrades (``[]``, ``None``, ``False``, ``FileResult(ok=False)``) where the platform lacks
it, or when the platform fails (logged), so one tool runs on every surface."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence

from botkit.adapter import Capabilities, PlatformAdapter
from botkit.errors import UserError
from botkit.events import Event
from botkit.types import Conversation, FileResult, MessageRef, PlatformUser, ThreadMessage
from botkit.ui.inputs import Modal
from botkit.ui.nodes import Message, Renderable

__all__ = ["GatedCalls", "PromptLike", "prompt_pairs"]

log = logging.getLogger("botkit")
PromptLike = str | tuple[str, str]
"""A suggested prompt: its text, or ``(title shown, message sent)``."""


def prompt_pairs(prompts: Sequence[PromptLike]) -> list[tuple[str, str]]:
    pairs = [(p, p) if isinstance(p, str) else (str(p[0]), str(p[1])) for p in prompts]
    if any(not t.strip() or not m.strip() for t, m in pairs):
        raise UserError("a suggested prompt needs a title and a message; got an empty one")
    return pairs


def _when(post_at: datetime.datetime | float) -> datetime.datetime:
    """``post_at`` as an aware datetime (a naive one is local time; a number is epoch
    seconds); ``UserError`` when it is not in the future."""
    if isinstance(post_at, datetime.datetime):
        when = post_at if post_at.tzinfo else post_at.astimezone()
    elif isinstance(post_at, int | float) and not isinstance(post_at, bool):
        when = datetime.datetime.fromtimestamp(post_at, tz=datetime.UTC)
    else:
        raise UserError(f"post_at is a datetime or epoch seconds; got {post_at!r}")
    if when <= datetime.datetime.now(tz=datetime.UTC):
        raise UserError(f"post_at must be in the future; got {when.isoformat()}")
    return when


class GatedCalls:
    """Mixed into ``Thread``."""

    __slots__ = ()
    _adapter: PlatformAdapter
    conversation: Conversation

    @property
    def id(self) -> str:
        return self.conversation.id

    @property
    def platform(self) -> str:
        return self._adapter.platform

    @property
    def capabilities(self) -> Capabilities:
        return self._adapter.capabilities

    async def _bind(self, ui: Renderable) -> Message:
        """The message with its handlers bound (``Thread._bind``)."""
        raise NotImplementedError

    async def post_ephemeral(self, user: PlatformUser, ui: Renderable) -> MessageRef | None:
        """Show a message to ``user`` only; None where the platform cannot."""
        if not self.capabilities.ephemeral:
            return None
        try:
            return await self._adapter.post_ephemeral(self.conversation, user,
                                                      await self._bind(ui))
        except Exception:
            log.exception("an ephemeral message in %s failed", self.id)
            return None

    async def get_messages(self) -> list[ThreadMessage]:
        """The conversation's history, oldest first ([] where the platform can't read it)."""
        if not self.capabilities.get_messages:
            return []
        try:
            return await self._adapter.get_messages(self.conversation)
        except Exception:
            log.exception("reading history of %s failed", self.id)
            return []

    async def lookup_user(self, query: str) -> PlatformUser | None:
        """Find a person by name, handle or email (None when not found or unsupported)."""
        if not self.capabilities.lookup_user or not query.strip():
            return None
        try:
            return await self._adapter.lookup_user(query.strip())
        except Exception:
            log.exception("user lookup failed")
            return None

    async def post_file(
        self, data: bytes, filename: str, *, title: str | None = None,
        alt_text: str | None = None,
    ) -> FileResult:
        if not self.capabilities.post_file:
            return FileResult(ok=False, error=f"{self.platform} does not support file upload")
        try:
            return await self._adapter.post_file(
                self.conversation, data, filename, title=title, alt_text=alt_text)
        except Exception as exc:
            log.exception("file upload failed")
            return FileResult(ok=False, error=f"upload failed: {type(exc).__name__}: {exc}")

    # -- reactions, status, prompts ----------------------------------------------------
    async def react(self, ref: MessageRef, emoji: str) -> bool:
        """Add the reaction ``emoji`` (``"eyes"`` or ``":eyes:"``) to a message; False
        where the platform has no reactions or refused."""
        return await self._reaction(ref, emoji, add=True)

    async def unreact(self, ref: MessageRef, emoji: str) -> bool:
        """Remove the bot's reaction ``emoji`` from a message; False where it could not."""
        return await self._reaction(ref, emoji, add=False)

    async def _reaction(self, ref: MessageRef, emoji: str, *, add: bool) -> bool:
        name = emoji.strip().strip(":")
        if not name:
            raise UserError("a reaction needs an emoji name, e.g. thread.react(ref, 'eyes')")
        if not self.capabilities.reactions:
            return False
        try:
            call = self._adapter.add_reaction if add else self._adapter.remove_reaction
            await call(self.conversation, ref, name)
        except Exception as exc:
            log.warning("%s the reaction %s in %s failed: %s", "adding" if add else "removing",
                        name, self.id, exc)
            return False
        return True

    async def set_status(self, text: str, *, loading_messages: Sequence[str] = ()) -> bool:
        """Show a passing status ("is looking up the ticket…"; ``""`` clears it), with
        ``loading_messages`` rotating where the platform can; False where it cannot."""
        if not self.capabilities.status:
            return False
        try:
            await self._adapter.set_status(self.conversation, text, list(loading_messages))
        except Exception as exc:
            log.info("setting the status in %s failed: %s", self.id, exc)
            return False
        return True

    async def set_suggested_prompts(self, prompts: Sequence[PromptLike], *,
                                    title: str | None = None) -> bool:
        """Offer clickable prompts (text, or ``(title, message)``); False where the
        platform cannot."""
        pairs = prompt_pairs(prompts)
        if not self.capabilities.suggested_prompts:
            return False
        try:
            await self._adapter.set_suggested_prompts(self.conversation, pairs, title)
        except Exception as exc:
            log.info("suggesting prompts in %s failed: %s", self.id, exc)
            return False
        return True

    async def _platform_title(self, title: str) -> bool:
        if not self.capabilities.titles:
            return False
        try:
            await self._adapter.set_title(self.conversation, title)
        except Exception as exc:
            log.info("titling %s on %s failed: %s", self.id, self.platform, exc)
            return False
        return True

    # -- later, elsewhere --------------------------------------------------------------
    async def schedule(self, ui: Renderable, *, post_at: datetime.datetime | float
                       ) -> str | None:
        """Have the platform post ``ui`` here at ``post_at`` (an aware datetime, or epoch
        seconds), even if the bot is not running then. Returns the scheduled message's id,
        None where the platform cannot schedule (or refused). Controls' ``on_click``
        handlers work as in ``post``."""
        when = _when(post_at)
        if not self.capabilities.schedule:
            return None
        message = await self._bind(ui)
        try:
            return await self._adapter.schedule(self.conversation, message, when)
        except Exception as exc:
            log.warning("scheduling a message in %s failed: %s", self.id, exc)
            return None

    async def _open_modal(self, event: Event, modal: Modal) -> bool:
        if not isinstance(modal, Modal):
            raise UserError(f"open_modal takes a ui.Modal; got {type(modal).__name__}")
        if not self.capabilities.modals:
            return False
        try:
            await self._adapter.open_modal(self.conversation, event, modal)
        except UserError:
            raise
        except Exception as exc:
            log.warning("opening the modal %s in %s failed: %s", modal.callback_id, self.id,
                        exc)
            return False
        return True
