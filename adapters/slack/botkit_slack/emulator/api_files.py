"""The ``files_upload_v2`` flow: files.getUploadURLExternal, the upload URL, completeUploadExternal.

The upload URL points back at the emulator (``/upload/v1/<file id>/<secret>``); it takes raw or
multipart bytes, checks the announced ``length`` and answers ``200 OK - <size>`` in ``text/plain``.
``url_private`` (``/files/<id>/<name>``) serves the bytes back to a valid token.
"""

from __future__ import annotations

from aiohttp import web

from .args import ApiRequest
from .core import Core
from .errors import ApiError
from .models import JSON, FileObject
from .posting import ensure_can_post, new_message, publish, thread_parent
from .registry import Table

METHODS = Table()
MAX_FILE_BYTES = 1024 * 1024 * 1024


@METHODS.method("files.getUploadURLExternal")
async def get_upload_url(core: Core, req: ApiRequest) -> JSON:
    filename = req.required("filename")
    length = req.get_int("length", -1)
    if length < 0:
        raise ApiError("invalid_arguments", detail="length is required")
    if length > MAX_FILE_BYTES:
        raise ApiError("file_upload_size_restricted")
    alt_txt = req.get_str("alt_txt")
    if alt_txt and len(alt_txt) > 1000:
        raise ApiError("alt_txt_too_large")
    file = FileObject(
        id=core.ids.new("F"),
        name=filename,
        length=length,
        user=req.actor.user_id,
        created=int(core.clock.now()),
        alt_txt=alt_txt,
        snippet_type=req.get_str("snippet_type"),
        upload_key=core.ids.secret(10),
    )
    core.ws.files[file.id] = file
    return {
        "upload_url": f"{core.root_url}upload/v1/{file.id}/{file.upload_key}",
        "file_id": file.id,
    }


@METHODS.method("files.completeUploadExternal")
async def complete_upload(core: Core, req: ApiRequest) -> JSON:
    entries = req.get_json("files", "invalid_arguments")
    if not isinstance(entries, list) or not entries:
        raise ApiError("invalid_arguments", detail="files must be a non-empty array")
    files: list[FileObject] = []
    for entry in entries:
        file = core.ws.files.get(str(entry.get("id"))) if isinstance(entry, dict) else None
        if file is None or file.data is None or file.user != req.actor.user_id:
            raise ApiError("file_not_found")
        files.append(file)
    targets = req.get_list("channels") or (
        [req.required("channel_id")] if req.has("channel_id") else []
    )
    if len(targets) > 100:
        raise ApiError("channels_limit_exceeded")
    thread_ts = req.get_str("thread_ts") or None
    channels = [core.ws.channel(t, viewer=req.actor.user_id) for t in targets]
    for channel in channels:
        ensure_can_post(channel, req.actor)
        thread_parent(core, channel, thread_ts)
    for entry, file in zip(entries, files, strict=True):
        file.title = str(entry.get("title") or file.title or file.name)
        file.completed = True
    comment = req.get_str("initial_comment") or ""
    blocks = None if comment else req.get_json("blocks", "invalid_blocks_format")
    for channel in channels:
        message = new_message(
            core,
            channel,
            author=req.actor,
            text=comment,
            blocks=blocks,
            thread_ts=thread_ts,
            subtype="file_share",
            files=[f.id for f in files],
        )
        message.extra.update(upload=True, display_as_bot=False)
        message.extra["files"] = [f.to_api(core.ws.team_id, core.root_url) for f in files]
        for file in files:
            file.shares.setdefault(channel.id, []).append(message.ts)
        publish(core, channel, message)
        message.extra["files"] = [f.to_api(core.ws.team_id, core.root_url) for f in files]
    core.changed("file", files)
    return {"files": [f.to_api(core.ws.team_id, core.root_url) for f in files]}


@METHODS.method("files.info")
async def files_info(core: Core, req: ApiRequest) -> JSON:
    file = core.ws.files.get(req.required("file"))
    if file is None or not file.completed:
        raise ApiError("file_not_found")
    return {
        "file": file.to_api(core.ws.team_id, core.root_url),
        "comments": [],
        "response_metadata": {"next_cursor": ""},
    }


@METHODS.method("files.upload")
async def files_upload(core: Core, req: ApiRequest) -> JSON:
    raise ApiError("method_deprecated", detail="use files.getUploadURLExternal")


async def upload(core: Core, request: web.Request) -> web.Response:
    file_id = request.match_info["file_id"]
    file = next((w.files[file_id] for w in core.workspaces.values() if file_id in w.files), None)
    if file is None or file.upload_key != request.match_info["secret"]:
        return web.Response(status=404, text="Not Found", content_type="text/plain")
    if request.content_type == "multipart/form-data":
        data = b""
        form = await request.post()
        for value in form.values():
            if hasattr(value, "file"):
                data = value.file.read()
                break
    else:
        data = await request.read()
    if file.length and len(data) != file.length:
        return web.Response(status=400, text="length mismatch", content_type="text/plain")
    file.data = data
    core.changed("file", file)
    return web.Response(text=f"OK - {len(data)}", content_type="text/plain")


async def download(core: Core, request: web.Request) -> web.Response:
    header = request.headers.get("Authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else ""
    team = core.team_of_token(token) if token else None
    file = team.files.get(request.match_info["file_id"]) if team is not None else None
    if file is None or file.data is None:
        return web.Response(status=404, text="Not Found", content_type="text/plain")
    return web.Response(body=file.data, content_type="application/octet-stream")
