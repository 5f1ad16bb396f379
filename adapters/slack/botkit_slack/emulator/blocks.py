"""Block Kit validation against Slack's limits, answering ``invalid_blocks`` with json-pointers."""

from __future__ import annotations

from typing import Any

from .. import limits as L
from . import blocks_data
from .errors import ApiError

BLOCK_TYPES = {
    "section",
    "header",
    "divider",
    "actions",
    "context",
    "image",
    "markdown",
    "rich_text",
    "input",
    "file",
    "video",
    "table",
    "context_actions",
    "call",
    "card",
    "carousel",
    "plan",
    "task_card",
    "alert",
    "data_table",
    "data_visualization",
    "container",
}
#: bolt-js#2509: Slack refuses a message whose blocks hold more than about 13.2k characters of
#: text in total (``msg_blocks_too_long``; 13,297 with markdown blocks only), below the
#: per-block limits.
MAX_BLOCKS_TEXT = 13_200
SELECTS_WITH_OPTIONS = {"static_select", "multi_static_select"}
OPTION_ELEMENTS = SELECTS_WITH_OPTIONS | {"overflow", "checkboxes", "radio_buttons"}
ELEMENT_TYPES = OPTION_ELEMENTS | {
    "button",
    "external_select",
    "multi_external_select",
    "users_select",
    "multi_users_select",
    "conversations_select",
    "multi_conversations_select",
    "channels_select",
    "multi_channels_select",
    "datepicker",
    "timepicker",
    "datetimepicker",
    "plain_text_input",
    "email_text_input",
    "url_text_input",
    "number_input",
    "rich_text_input",
    "image",
    "workflow_button",
    "feedback_buttons",
    "icon_button",
    "file_input",
}


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.markdown_total = 0
        self.charts = 0

    def fail(self, message: str, pointer: str) -> None:
        self.errors.append(f"{message} [json-pointer:{pointer}]")

    def length(self, value: Any, limit: int, pointer: str, *, minimum: int = 0) -> None:
        if not isinstance(value, str):
            self.fail("expected string", pointer)
        elif len(value) > limit:
            self.fail(f"must be less than {limit + 1} characters", pointer)
        elif len(value) < minimum:
            self.fail(f"must be more than {minimum - 1} characters", pointer)

    def text(self, obj: Any, limit: int, pointer: str, *, plain: bool = False) -> None:
        allowed = ("plain_text",) if plain else ("plain_text", "mrkdwn")
        if not isinstance(obj, dict) or obj.get("type") not in allowed:
            self.fail("failed to match all allowed schemas", pointer)
            return
        before = len(self.errors)
        self.length(obj.get("text"), limit, pointer + "/text", minimum=1)
        if len(self.errors) > before:
            self.errors.insert(
                before, f"failed to match all allowed schemas [json-pointer:{pointer}]"
            )

    def option(self, obj: Any, pointer: str) -> None:
        if not isinstance(obj, dict):
            self.fail("expected object", pointer)
            return
        self.text(obj.get("text"), L.MAX_OPTION_TEXT, pointer + "/text")
        self.length(obj.get("value"), L.MAX_OPTION_VALUE, pointer + "/value", minimum=1)

    def element(self, el: Any, pointer: str, action_ids: set[str]) -> None:
        if not isinstance(el, dict) or el.get("type") not in ELEMENT_TYPES:
            self.fail("must be a valid enum value", pointer + "/type")
            return
        kind = el["type"]
        if "action_id" in el:
            self.length(el["action_id"], L.MAX_ACTION_ID, pointer + "/action_id", minimum=1)
            if el["action_id"] in action_ids:
                self.fail("action_id must be unique within a block", pointer + "/action_id")
            action_ids.add(str(el["action_id"]))
        if kind == "button":
            self.text(el.get("text"), L.MAX_BUTTON_TEXT, pointer + "/text", plain=True)
            if "value" in el:
                self.length(el["value"], L.MAX_BUTTON_VALUE, pointer + "/value")
            if "url" in el:
                self.length(el["url"], L.MAX_BUTTON_URL, pointer + "/url")
        elif kind == "image":
            self.length(el.get("alt_text"), L.MAX_IMAGE_ALT, pointer + "/alt_text", minimum=1)
        if "placeholder" in el:
            self.text(el["placeholder"], L.MAX_PLACEHOLDER, pointer + "/placeholder", plain=True)
        if kind in OPTION_ELEMENTS:
            limit = {
                "overflow": L.MAX_OVERFLOW_OPTIONS,
                "checkboxes": L.MAX_CHOICE_OPTIONS,
                "radio_buttons": L.MAX_CHOICE_OPTIONS,
            }.get(kind, L.MAX_SELECT_OPTIONS)
            options = el.get("options")
            if options is None and kind in SELECTS_WITH_OPTIONS and "option_groups" in el:
                options = [o for g in el["option_groups"] for o in g.get("options", [])]
            if not isinstance(options, list) or not options:
                self.fail("must provide options", pointer + "/options")
            elif len(options) > limit:
                self.fail(f"must contain no more than {limit} items", pointer + "/options")
            else:
                for i, opt in enumerate(options):
                    self.option(opt, f"{pointer}/options/{i}")
        confirm = el.get("confirm")
        if isinstance(confirm, dict):
            self.text(confirm.get("title"), L.MAX_CONFIRM_TITLE, pointer + "/confirm/title")
            self.text(confirm.get("text"), L.MAX_CONFIRM_TEXT, pointer + "/confirm/text")

    def elements(self, block: dict[str, Any], pointer: str, limit: int, *, context: bool) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.fail("must provide elements", pointer + "/elements")
            return
        if len(elements) > limit:
            self.fail(f"must contain no more than {limit} items", pointer + "/elements")
            return
        action_ids: set[str] = set()
        for i, el in enumerate(elements):
            at = f"{pointer}/elements/{i}"
            if context and isinstance(el, dict) and el.get("type") in ("plain_text", "mrkdwn"):
                self.text(el, L.MAX_SECTION_TEXT, at)
            else:
                self.element(el, at, action_ids)

    def block(self, block: Any, pointer: str, block_ids: set[str]) -> None:
        if not isinstance(block, dict):
            self.fail("expected object", pointer)
            return
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self.fail("must be a valid enum value", pointer + "/type")
            return
        if "block_id" in block and kind != "markdown":
            self.length(block["block_id"], L.MAX_BLOCK_ID, pointer + "/block_id", minimum=1)
            if block["block_id"] in block_ids:
                self.fail("block_id must be unique", pointer + "/block_id")
            block_ids.add(str(block["block_id"]))
        if kind == "section":
            if "text" not in block and "fields" not in block:
                self.fail("must provide either text or fields", pointer)
            if "text" in block:
                self.text(block["text"], L.MAX_SECTION_TEXT, pointer + "/text")
            fields = block.get("fields")
            if fields is not None:
                if not isinstance(fields, list) or len(fields) > L.MAX_SECTION_FIELDS:
                    self.fail(
                        f"must contain no more than {L.MAX_SECTION_FIELDS} items",
                        pointer + "/fields",
                    )
                else:
                    for i, field in enumerate(fields):
                        self.text(field, L.MAX_FIELD_TEXT, f"{pointer}/fields/{i}")
            if "accessory" in block:
                self.element(block["accessory"], pointer + "/accessory", set())
        elif kind == "header":
            self.text(block.get("text"), L.MAX_HEADER_TEXT, pointer + "/text", plain=True)
        elif kind == "actions":
            self.elements(block, pointer, L.MAX_ACTIONS_ELEMENTS, context=False)
        elif kind == "context":
            self.elements(block, pointer, L.MAX_CONTEXT_ELEMENTS, context=True)
        elif kind == "context_actions":
            self.elements(block, pointer, L.MAX_CONTEXT_ACTIONS_ELEMENTS, context=False)
        elif kind == "image":
            if "image_url" in block or "slack_file" not in block:
                self.length(
                    block.get("image_url"), L.MAX_IMAGE_URL, pointer + "/image_url", minimum=1
                )
            self.length(block.get("alt_text"), L.MAX_IMAGE_ALT, pointer + "/alt_text", minimum=1)
            if "title" in block:
                self.text(block["title"], L.MAX_IMAGE_TITLE, pointer + "/title", plain=True)
        elif kind == "markdown":
            text = block.get("text")
            self.length(text, L.MAX_MARKDOWN_BLOCKS_TEXT, pointer + "/text", minimum=1)
            self.markdown_total += len(text) if isinstance(text, str) else 0
        elif kind == "input":
            self.text(block.get("label"), L.MAX_INPUT_LABEL, pointer + "/label", plain=True)
            if "element" not in block:
                self.fail("must provide element", pointer + "/element")
            else:
                self.element(block["element"], pointer + "/element", set())
        elif kind == "rich_text":
            if not isinstance(block.get("elements"), list):
                self.fail("must provide elements", pointer + "/elements")
        elif kind == "table":
            self.table(block, pointer)
        elif kind == "data_table":
            blocks_data.data_table(self, block, pointer)
        elif kind == "data_visualization":
            blocks_data.data_visualization(self, block, pointer)
        elif kind == "container":
            blocks_data.container(
                self, block, pointer, lambda child, at: self.block(child, at, block_ids)
            )

    def table(self, block: dict[str, Any], pointer: str) -> None:
        rows = block.get("rows")
        if not isinstance(rows, list) or not rows:
            self.fail("must provide rows", pointer + "/rows")
            return
        if len(rows) > L.MAX_TABLE_ROWS:
            self.fail(f"must contain no more than {L.MAX_TABLE_ROWS} items", pointer + "/rows")
            return
        for r, row in enumerate(rows):
            if not isinstance(row, list) or len(row) > L.MAX_TABLE_COLUMNS:
                self.fail(
                    f"must contain no more than {L.MAX_TABLE_COLUMNS} items", f"{pointer}/rows/{r}"
                )
                continue
            for c, cell in enumerate(row):
                text = cell.get("text") if isinstance(cell, dict) else None
                if isinstance(text, str) and len(text) > L.MAX_TABLE_CELL:
                    self.fail(
                        f"must be less than {L.MAX_TABLE_CELL + 1} characters",
                        f"{pointer}/rows/{r}/{c}/text",
                    )


def block_errors(
    blocks: Any, *, max_blocks: int = L.MAX_BLOCKS, pointer: str = "/blocks"
) -> list[str]:
    """Every limit ``blocks`` breaks, as ``"<message> [json-pointer:/blocks/..]"`` strings."""
    checker = _Checker()
    if len(blocks) > max_blocks:
        checker.fail(f"must contain no more than {max_blocks} items", pointer)
        return checker.errors
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        checker.block(block, f"{pointer}/{i}", block_ids)
    if checker.markdown_total > L.MAX_MARKDOWN_BLOCKS_TEXT:
        checker.fail(
            f"markdown blocks must total less than {L.MAX_MARKDOWN_BLOCKS_TEXT + 1} characters",
            pointer,
        )
    return checker.errors


def check_blocks(blocks: Any, *, max_blocks: int = L.MAX_BLOCKS) -> list[dict[str, Any]] | None:
    """Validated blocks (``None`` when absent); raises ``invalid_blocks[_format]`` like Slack."""
    if blocks is None:
        return None
    if not isinstance(blocks, list):
        raise ApiError("invalid_blocks_format")
    errors = block_errors(blocks, max_blocks=max_blocks)
    if errors:
        raise ApiError(
            "invalid_blocks",
            errors=errors,
            response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
        )
    return blocks


def blocks_text_length(value: Any) -> int:
    """Characters of every ``text`` string anywhere inside ``value`` (blocks, elements, cells)."""
    if isinstance(value, dict):
        total = 0
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                total += len(item)
            else:
                total += blocks_text_length(item)
        return total
    if isinstance(value, list):
        return sum(blocks_text_length(item) for item in value)
    return 0


def check_blocks_text(blocks: list[dict[str, Any]] | None) -> None:
    """``msg_blocks_too_long`` when the blocks carry more text than Slack takes."""
    if blocks and blocks_text_length(blocks) > MAX_BLOCKS_TEXT:
        raise ApiError("msg_blocks_too_long")
