"""The dashboard: the page the threads API serves at ``/`` (threads list, a thread's
conversation, state and runs, the inbox of pending choices and interrupts).

Server-rendered Jinja2 templates with htmx; static files ship inside the package (no build
step, no CDN). Needs ``pip install "botkit[dashboard]"`` (aiohttp, jinja2)."""

from botkit.dashboard.mount import mount_dashboard

__all__ = ["mount_dashboard"]
