"""Modals and Home tabs: views.open / push / update / publish and ``view_submission`` payloads."""

from __future__ import annotations

import copy
from typing import Any

from .. import limits as L
from .args import ApiRequest
from .blocks import block_errors
from .core import Core
from .errors import ApiError
from .models import JSON, User
from .registry import Table

METHODS = Table()


class Views:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.views: dict[str, JSON] = {}
        self.stacks: dict[str, list[str]] = {}

    def check(self, view: Any, kinds: tuple[str, ...] = ("modal",)) -> JSON:
        if not isinstance(view, dict) or view.get("type") not in kinds:
            raise ApiError(
                "invalid_arguments",
                response_metadata={
                    "messages": ["[ERROR] must be a valid enum value [json-pointer:/view/type]"]
                },
            )
        errors: list[str] = []
        blocks = view.get("blocks")
        if not isinstance(blocks, list):
            errors.append("must provide an array [json-pointer:/view/blocks]")
        else:
            errors += block_errors(blocks, max_blocks=L.MAX_VIEW_BLOCKS, pointer="/view/blocks")
        if view["type"] == "modal":
            title = view.get("title")
            text = title.get("text") if isinstance(title, dict) else None
            if not isinstance(text, str) or not text or len(text) > L.MAX_VIEW_TITLE:
                errors.append(
                    f"must be less than {L.MAX_VIEW_TITLE + 1} characters "
                    "[json-pointer:/view/title/text]"
                )
        if len(str(view.get("private_metadata", ""))) > L.MAX_PRIVATE_METADATA:
            errors.append("must be less than 3001 characters [json-pointer:/view/private_metadata]")
        if errors:
            raise ApiError(
                "invalid_arguments",
                response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
            )
        return view

    def store(
        self,
        view: JSON,
        *,
        view_id: str | None = None,
        root: str | None = None,
        previous: str | None = None,
        user: str | None = None,
    ) -> JSON:
        core = self.core
        vid = view_id or core.ids.new("V")
        body = copy.deepcopy(view)
        body.update(
            id=vid,
            team_id=core.ws.team_id,
            app_id=core.app.app_id,
            bot_id=core.app.bot_id,
            app_installed_team_id=core.ws.team_id,
            state={"values": {}},
            hash=f"{int(core.clock.now())}.{core.ids.secret(4)}",
            private_metadata=view.get("private_metadata", ""),
            callback_id=view.get("callback_id", ""),
            external_id=view.get("external_id", ""),
            root_view_id=root or vid,
            previous_view_id=previous,
            clear_on_close=bool(view.get("clear_on_close")),
            notify_on_close=bool(view.get("notify_on_close")),
        )
        if user:
            body["user_id"] = user
        self.views[vid] = body
        core.changed("view", body)
        return body

    def find(self, req: ApiRequest) -> JSON:
        if req.has("view_id"):
            found = self.views.get(req.required("view_id"))
        elif req.has("external_id"):
            ext = req.required("external_id")
            found = next((v for v in self.views.values() if v.get("external_id") == ext), None)
        else:
            raise ApiError("invalid_arguments", detail="view_id or external_id is required")
        if found is None:
            raise ApiError("not_found")
        return found

    def submission(self, view_id: str, user: User, values: JSON) -> JSON:
        view = self.views[view_id]
        view["state"] = {"values": copy.deepcopy(values)}
        return {
            "type": "view_submission",
            "team": {"id": self.core.ws.team_id, "domain": self.core.ws.domain},
            "user": {
                "id": user.id,
                "username": user.name,
                "name": user.name,
                "team_id": user.team_id,
            },
            "api_app_id": self.core.app.app_id,
            "token": self.core.verification_token,
            "trigger_id": self.core.interactivity.new_trigger(),
            "view": copy.deepcopy(view),
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }


@METHODS.method("views.open")
async def views_open(core: Core, req: ApiRequest) -> JSON:
    view = core.views.check(req.get_json("view"))
    core.interactivity.use_trigger(req.required("trigger_id"))
    return {"view": core.views.store(view)}


@METHODS.method("views.push")
async def views_push(core: Core, req: ApiRequest) -> JSON:
    view = core.views.check(req.get_json("view"))
    core.interactivity.use_trigger(req.required("trigger_id"))
    return {"view": core.views.store(view)}


@METHODS.method("views.update")
async def views_update(core: Core, req: ApiRequest) -> JSON:
    current = core.views.find(req)
    if req.has("hash") and req.get_str("hash") != current["hash"]:
        raise ApiError("hash_conflict")
    view = core.views.check(req.get_json("view"), (current["type"],))
    return {"view": core.views.store(view, view_id=current["id"], root=current["root_view_id"])}


@METHODS.method("views.publish")
async def views_publish(core: Core, req: ApiRequest) -> JSON:
    user = core.ws.user(req.required("user_id"))
    view = core.views.check(req.get_json("view"), ("home",))
    existing = next(
        (
            v
            for v in core.views.views.values()
            if v.get("type") == "home" and v.get("user_id") == user.id
        ),
        None,
    )
    return {
        "view": core.views.store(view, view_id=existing["id"] if existing else None, user=user.id)
    }
