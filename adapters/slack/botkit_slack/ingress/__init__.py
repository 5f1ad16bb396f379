"""Slack → botkit: pure decisions (``decide``), Bolt wiring (``bolt``) and the events built
from deliveries (``events``)."""

from __future__ import annotations

from botkit_slack.ingress.decide import Click, Decision, RespondTo, decide, decode_click

__all__ = ["Click", "Decision", "RespondTo", "decide", "decode_click"]
