"""The console adapter: run any botkit bot in a terminal with no credentials."""

from botkit_console.adapter import ConsoleAdapter

__all__ = ["ConsoleAdapter"]
