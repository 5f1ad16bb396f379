"""Moved to ``botkit.run.loop``; this name stays for old imports."""
from botkit.run.loop import AgentRunner, RunRequest, RunResult, batch_records

__all__ = ["AgentRunner", "RunRequest", "RunResult", "batch_records"]
