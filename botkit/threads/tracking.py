"""Moved to ``botkit.run.tracking``; this name stays for old imports."""
from botkit.run.tracking import RunTrace, ensure, summarize_tool_calls, touch

__all__ = ["RunTrace", "ensure", "summarize_tool_calls", "touch"]
