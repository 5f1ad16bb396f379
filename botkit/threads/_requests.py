"""The threads API's request bodies and query strings as pydantic models: the one place
that both validates requests (every problem becomes a ``ThreadQueryError``, answered 422)
and describes them in the OpenAPI document, so the two cannot disagree."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
)

from botkit.threads.errors import ThreadQueryError
from botkit.threads.queries import MAX_LIMIT, SORT_FIELDS
from botkit.threads.records import ThreadStatus
from botkit.threads.selection import MAX_EXTRACT, PATH_PATTERN
from botkit.types import ThreadMessage

__all__ = [
    "AddMessages", "CopyThread", "CountThreads", "CreateThread", "HistoryQuery",
    "HistoryRequest", "ListQuery", "MessagesQuery", "PatchThread", "SearchThreads",
    "StateQuery", "UpdateState", "message_json", "parse",
]


def _integral(value: Any) -> Any:
    """JSON Schema counts 3.0 as an integer; so do we."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


Limit = Annotated[StrictInt, Field(ge=1, le=MAX_LIMIT), BeforeValidator(_integral)]
Offset = Annotated[StrictInt, Field(ge=0), BeforeValidator(_integral)]
HistoryLimit = Annotated[StrictInt, Field(ge=1, le=1000), BeforeValidator(_integral)]
Id = Annotated[StrictStr, Field(min_length=1)]
SortBy = Literal["updated_at", "created_at", "thread_id", "status", "last_run_at", "title"]
assert set(SORT_FIELDS) == set(SortBy.__args__)  # type: ignore[attr-defined]


ThreadField = Literal[
    "thread_id", "created_at", "updated_at", "metadata", "status", "values", "interrupts",
    "config", "title", "archived", "platform", "channel", "user_id", "participants",
    "last_run_at", "run_count", "current_run", "last_error", "conversation", "copied_from"]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Loose(BaseModel):
    """LangGraph's nested shapes: fields we do not use are accepted and ignored."""

    model_config = ConfigDict(extra="ignore")


class Filters(Body):
    metadata: dict[str, Any] | None = Field(None, description="Keep threads whose metadata "
                                                              "has all these pairs")
    values: dict[str, Any] | None = Field(None, description="Keep threads whose state has "
                                                            "all these pairs")
    status: ThreadStatus | list[ThreadStatus] | None = None
    ids: list[Id] | None = Field(None, description="Only these threads")
    search: StrictStr | None = Field(None, description="Text in the title or id "
                                                       "(case-insensitive)")
    platform: StrictStr | None = None
    user_id: StrictStr | None = Field(None, description="Threads this user owns or takes "
                                                        "part in")
    archived: StrictBool | None = Field(False, description="false: hide archived threads "
                                                           "(default); true: only them; "
                                                           "null: both")


def _ttl(value: Any) -> Any:
    """LangGraph's thread TTL: minutes, or ``{"ttl": minutes, "strategy": "delete"}``."""
    return {"ttl": value, "strategy": "delete"} if isinstance(value, int | float) else value


class TTL(Loose):
    ttl: Annotated[float, Field(gt=0)]
    strategy: Literal["delete"] = "delete"


TTLField = Annotated[TTL | None, BeforeValidator(_ttl), Field(
    None, description="Accepted for LangGraph clients and ignored: botkit does not expire "
                      "threads (delete them, or archive them)")]


Path = Annotated[StrictStr, Field(pattern=PATH_PATTERN)]


class SearchThreads(Filters):
    limit: Limit = 10
    offset: Offset = 0
    sort_by: SortBy = "updated_at"
    sort_order: Literal["asc", "desc"] = "desc"
    select: list[ThreadField] | None = Field(None, description="Only these fields of "
                                                               "each thread")
    extract: dict[str, Path] | None = Field(
        None, max_length=MAX_EXTRACT, description="{alias: path} (values.messages[-1]): "
                                                  "each thread gets `extracted` with the "
                                                  "value at each path")


class CountThreads(Filters):
    pass


class Update(Loose):
    values: Any = None
    as_node: StrictStr | None = None


class Superstep(Loose):
    """One LangGraph superstep: its updates apply in order; list values are appended."""


    updates: list[Update]


class NewMessage(Body):
    role: Literal["user", "assistant", "system"] = "user"
    content: Annotated[StrictStr, Field(min_length=1)]


class CreateThread(Body):
    thread_id: Id | None = Field(None, description="Default: a new UUID")
    metadata: dict[str, Any] | None = None
    if_exists: Literal["raise", "do_nothing"] = "raise"
    supersteps: list[Superstep] | None = Field(
        None, description="State updates, one checkpoint per superstep (named by its "
                          "as_node); a list value is appended to the list there")
    title: StrictStr = ""
    platform: Id = Field("web", description="Whose conversation it is (default: a web "
                                            "thread)")
    user_id: Id | None = None
    participants: list[Id] = []
    messages: list[NewMessage] = Field([], description="Added to the new thread")
    ttl: TTLField


class PatchThread(Body):
    metadata: dict[str, Any] | None = Field(None, description="Merged; a null value "
                                                              "removes a key")
    title: StrictStr | None = None
    archived: StrictBool | None = None
    user_id: Id | None = None
    participants: list[Id] | None = None
    ttl: TTLField


class CopyThread(Body):
    new_id: Id | None = Field(None, description="Default: a new UUID")
    title: StrictStr | None = None


class PatchOp(Body):
    op: Literal["add", "remove", "replace", "move", "copy", "test"]
    path: StrictStr
    value: Any = None
    from_: StrictStr | None = Field(None, alias="from")


class UpdateState(Body):
    values: dict[str, Any] | None = Field(None, description="Merged into the state's top "
                                                            "level")
    patch: list[PatchOp] | None = Field(None, description="A JSON Patch (RFC 6902), applied "
                                                          "after values")
    as_node: StrictStr | None = None
    checkpoint_id: Id | None = Field(None, description="Must be the current checkpoint")
    checkpoint: dict[str, Any] | None = Field(None, description="{checkpoint_id}: must be "
                                                                "the current checkpoint")


def _before(value: Any) -> Any:
    if isinstance(value, dict):  # LangGraph: {"configurable": {"checkpoint_id": …}}
        inner = value.get("configurable", value)
        return inner.get("checkpoint_id") if isinstance(inner, dict) else None
    return value


class HistoryRequest(Body):
    limit: HistoryLimit = 10
    before: StrictStr | dict[str, Any] | None = Field(
        None, description="A checkpoint id (or LangGraph's checkpoint config): older ones")
    metadata: dict[str, Any] | None = None
    checkpoint: dict[str, Any] | None = None
    select: list[StrictStr] | None = Field(None, description="Only these fields of each "
                                                             "state (values.<key>: one key)")

    def before_id(self) -> str | None:
        found = _before(self.before)
        return found if isinstance(found, str) and found else None


class AddMessages(Body):
    messages: Annotated[list[NewMessage], Field(min_length=1)]


# -- query strings (values arrive as text) -------------------------------------------
class Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ListQuery(Query):
    search: str | None = None
    status: ThreadStatus | None = None
    platform: str | None = None
    user_id: str | None = None
    archived: Literal["true", "false", "all"] = "false"
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 10
    offset: Annotated[int, Field(ge=0)] = 0
    sort_by: SortBy = "updated_at"
    sort_order: Literal["asc", "desc"] = "desc"


class HistoryQuery(Query):
    limit: Annotated[int, Field(ge=1, le=1000)] = 10
    before: str | None = None


class MessagesQuery(Query):
    search: str | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 50
    offset: Annotated[int, Field(ge=0)] = 0


class StateQuery(Query):
    subgraphs: Literal["true", "false", "True", "False"] = Field(
        "false", description="Accepted for LangGraph clients: a botkit thread has no "
                             "subgraphs")
    select: Annotated[list[str] | None, BeforeValidator(
        lambda v: [v] if isinstance(v, str) else v)] = Field(
        None, description="Only these fields (repeat the parameter; values.<key>: one key)")


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any) -> M:
    """Validate ``data``; every problem at once as a ``ThreadQueryError``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems: dict[str, str] = {}
        for error in exc.errors():
            path = [str(p) for p in error["loc"] if not _is_type_tag(p)]
            text = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
            problems.setdefault(".".join(path) or "body", text)  # one line per field
        raise ThreadQueryError(list(problems.items())) from None


def _is_type_tag(part: object) -> bool:
    """pydantic names the union member in an error's location (``status.list[…]``)."""
    return isinstance(part, str) and ("[" in part or part in TYPE_TAGS)


TYPE_TAGS = {"str", "int", "bool", "float", "dict", "list", "none", "function-before",
             "function-after"}


def message_json(m: ThreadMessage) -> dict[str, Any]:
    user = None if m.user is None else {"id": m.user.id, "name": m.user.name,
                                        "handle": m.user.handle, "is_bot": m.user.is_bot}
    role = "assistant" if m.is_bot else "user"
    return {"id": m.id, "message_id": m.id, "role": role, "content": m.text, "text": m.text,
            "user": user, "is_bot": m.is_bot, "ts": m.ts,
            "attachments": [{"name": a.name, "mime_type": a.mime_type, "size": a.size,
                             "url": a.url} for a in m.attachments]}
