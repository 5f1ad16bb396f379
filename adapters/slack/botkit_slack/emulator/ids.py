"""Identifiers and message timestamps, deterministic per emulator instance."""

from __future__ import annotations

import secrets
import string
import uuid

from .clock import Clock

_ALPHABET = string.digits + string.ascii_uppercase


def _base36(number: int, width: int) -> str:
    digits = []
    while number:
        number, rest = divmod(number, 36)
        digits.append(_ALPHABET[rest])
    return "".join(reversed(digits)).rjust(width, "0")


class IdFactory:
    """Makes Slack-looking ids (``C0EMU0001A``, ``Ev0EMU0002``...) unique within one emulator."""

    def __init__(self) -> None:
        self._counters: dict[str, int] = {}
        self._taken: set[str] = set()

    def new(self, prefix: str) -> str:
        while True:
            count = self._counters.get(prefix, 0) + 1
            self._counters[prefix] = count
            candidate = f"{prefix}0EMU{_base36(count, 5)}"
            if candidate not in self._taken:
                self._taken.add(candidate)
                return candidate

    def claim(self, ident: str) -> str:
        """Reserve an id chosen by the caller so generated ids never collide with it."""
        self._taken.add(ident)
        return ident

    @staticmethod
    def envelope_id() -> str:
        return str(uuid.uuid4())

    @staticmethod
    def client_msg_id() -> str:
        return str(uuid.uuid4())

    @staticmethod
    def secret(nbytes: int = 12) -> str:
        return secrets.token_hex(nbytes)


class TsFactory:
    """``"%d.%06d"`` timestamps, unique and increasing per channel: ``max(now_us, last + 1)``."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._last: dict[str, int] = {}

    def next(self, channel: str) -> str:
        now_us = int(self._clock.now() * 1_000_000)
        value = max(now_us, self._last.get(channel, 0) + 1)
        self._last[channel] = value
        return format_ts(value)

    def reset(self) -> None:
        self._last.clear()


def format_ts(micros: int) -> str:
    seconds, rest = divmod(micros, 1_000_000)
    return f"{seconds}.{rest:06d}"


def parse_ts(value: str) -> int:
    """Micro-seconds of a ``ts`` string; raises ``ValueError`` when it is not one."""
    head, _, tail = value.partition(".")
    if not head.isdigit() or (tail and not tail.isdigit()) or len(tail) > 6:
        raise ValueError(value)
    return int(head) * 1_000_000 + int(tail.ljust(6, "0") or 0)
