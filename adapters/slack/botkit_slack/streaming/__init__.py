"""Streaming replies into Slack: ``ReplyStream`` composes a ``NativeWriter`` (Slack's native
streams) with posting and editing messages through ``Egress``."""

from __future__ import annotations

from botkit_slack.streaming.native import (
    PERMANENT_NATIVE_ERRORS,
    NativeWriter,
    StreamMessage,
    StreamSettings,
    refuse_native,
)
from botkit_slack.streaming.reply import ReplyStream

__all__ = ["PERMANENT_NATIVE_ERRORS", "NativeWriter", "ReplyStream", "StreamMessage",
           "StreamSettings", "refuse_native"]
