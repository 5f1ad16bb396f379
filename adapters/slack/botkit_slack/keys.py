"""Every store key the Slack adapter writes (beside the core's, in ``botkit.keys``)."""

from __future__ import annotations

__all__ = ["installation", "oauth_state"]


def installation(enterprise_id: str | None, team_id: str | None) -> str:
    """One workspace's (or, with no team, an org-wide) installation."""
    return f"slack:install:{enterprise_id or '-'}:{team_id or ''}"


def oauth_state(state: str) -> str:
    return f"slack:oauth-state:{state}"
