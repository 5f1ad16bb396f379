"""Moved to ``botkit.run.assembler``; this name stays for old imports."""
from botkit.run.assembler import LegacyInterrupt, RunAssembler

__all__ = ["LegacyInterrupt", "RunAssembler"]
