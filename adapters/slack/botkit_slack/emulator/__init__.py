"""A faithful local Slack (Web API, Events API, Socket Mode, interactivity) for tests and demos.

The real ``slack_sdk`` and ``slack_bolt`` clients talk to it with no internet::

    from botkit_slack.emulator import SlackEmulator

    async with SlackEmulator() as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)

Run it standalone with ``python -m botkit_slack.emulator`` (see :mod:`.cli`); drive it from
other processes through the HTTP control API under ``/_emulator/`` (see :mod:`.control`).
"""

from __future__ import annotations

from .clock import Clock, FakeClock, SystemClock
from .config import Bucket, EmulatorConfig, RateLimits
from .emulator import SlackEmulator
from .errors import ApiError
from .models import User
from .records import Call, Delivery
from .signing import signature, signed_headers, verify
from .store import Channel

__all__ = [
    "ApiError",
    "Bucket",
    "Call",
    "Channel",
    "Clock",
    "Delivery",
    "EmulatorConfig",
    "FakeClock",
    "RateLimits",
    "SlackEmulator",
    "SystemClock",
    "User",
    "signature",
    "signed_headers",
    "verify",
]
