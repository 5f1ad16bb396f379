"""Files: ``post_file`` via ``files_upload_v2`` into the thread, and the files people attach,
downloaded (size-capped, cached) so history can hand them to the agent as content parts.

The bot token only goes to Slack's own file hosts (``slack.com`` and its subdomains, over
HTTPS) or to the origin of the configured ``base_url`` (the emulator). Remote ("external")
files live on third-party hosts: they are described but never downloaded.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from botkit.types import Attachment, Conversation, FileResult
from botkit_slack.client import slack_error

__all__ = ["FileStore"]

log = logging.getLogger("botkit.slack")


class FileStore:
    def __init__(self, client: AsyncWebClient, token: str, *, max_bytes: int = 8 * 1024 * 1024,
                 max_files: int = 5, cache_bytes: int = 64 * 1024 * 1024) -> None:
        self.client = client
        self._token = token
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.cache_bytes = cache_bytes
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._trusted_origin = _origin(str(getattr(client, "base_url", "") or ""))

    async def upload(self, conversation: Conversation, data: bytes, filename: str, *,
                     title: str | None = None, alt_text: str | None = None) -> FileResult:
        try:
            response: Any = await self.client.files_upload_v2(
                channel=conversation.channel, thread_ts=conversation.thread, content=data,
                filename=filename, title=title or filename, alt_txt=alt_text)
        except Exception as exc:  # Slack's refusal, a proxy's 5xx, a broken upload URL
            return FileResult(ok=False, error=f"Slack refused the upload: {slack_error(exc)}")
        file = response.get("file") or (response.get("files") or [{}])[0]
        return FileResult(ok=True, file_id=file.get("id"), raw=dict(file))

    @staticmethod
    def describe(files: Sequence[Mapping[str, Any]]) -> tuple[Attachment, ...]:
        """The files of a message as attachments without their bytes."""
        return tuple(
            Attachment(name=str(f.get("name") or f.get("title") or f.get("id") or "file"),
                       mime_type=str(f.get("mimetype") or "application/octet-stream"),
                       size=f.get("size"), url=f.get("url_private_download") or
                       f.get("url_private"), raw=dict(f))
            for f in files if f.get("mode") != "tombstone")

    @staticmethod
    def is_external(file: Mapping[str, Any]) -> bool:
        """A remote file: its ``url_private`` is a third-party URL, never fetched."""
        return bool(file.get("is_external")) or file.get("mode") == "external"

    def sends_token_to(self, url: str) -> bool:
        """Whether a download from ``url`` may carry the bot token."""
        origin = _origin(url)
        if origin is None:
            return False
        scheme, host, _ = origin
        if scheme == "https" and (host == "slack.com" or host.endswith(".slack.com")):
            return True
        return origin == self._trusted_origin

    async def attachments(self, files: Sequence[Mapping[str, Any]]) -> tuple[Attachment, ...]:
        """The files of a message with their bytes where small enough (others: a note)."""
        out: list[Attachment] = []
        for index, attachment in enumerate(self.describe(files)):
            data = None
            size = attachment.size if isinstance(attachment.size, int) else None
            if index < self.max_files and (size is None or size <= self.max_bytes) and \
                    not self.is_external(attachment.raw):
                data = await self._download(str(attachment.raw.get("id", "")), attachment.url)
            out.append(Attachment(name=attachment.name, mime_type=attachment.mime_type,
                                  size=attachment.size, url=attachment.url, data=data,
                                  raw=attachment.raw))
        return tuple(out)

    async def _download(self, file_id: str, url: str | None) -> bytes | None:
        if file_id in self._cache:
            self._cache.move_to_end(file_id)
            return self._cache[file_id]
        if not url:
            return None
        headers = {"Authorization": f"Bearer {self._token}"} if self.sends_token_to(url) else {}
        try:
            async with aiohttp.ClientSession(trust_env=True) as session, \
                    session.get(url, headers=headers) as response:
                if response.status != 200:
                    log.info("could not download file %s: HTTP %s", file_id, response.status)
                    return None
                data = await response.content.read(self.max_bytes + 1)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.info("could not download file %s: %s", file_id, exc)
            return None
        if len(data) > self.max_bytes:
            return None
        self._cache[file_id] = data
        while sum(len(v) for v in self._cache.values()) > self.cache_bytes:
            self._cache.popitem(last=False)
        return data


def _origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of ``url`` with the scheme's default port filled in."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port
