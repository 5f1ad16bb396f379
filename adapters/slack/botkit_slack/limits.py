"""Slack's Block Kit and message limits, in one place.

The renderer keeps every message inside them; the emulator rejects what breaks them,
as Slack does (``invalid_blocks``). Numbers from Slack's Block Kit reference.
"""

from __future__ import annotations

from typing import Final

MAX_BLOCKS: Final = 50
MAX_BLOCK_ID: Final = 255
MAX_SECTION_TEXT: Final = 3000
MAX_SECTION_FIELDS: Final = 10
MAX_FIELD_TEXT: Final = 2000
MAX_HEADER_TEXT: Final = 150
MAX_ACTIONS_ELEMENTS: Final = 25
MAX_CONTEXT_ELEMENTS: Final = 10
MAX_IMAGE_URL: Final = 3000
MAX_IMAGE_ALT: Final = 2000
MAX_BUTTON_TEXT: Final = 75
MAX_ACTION_ID: Final = 255
MAX_BUTTON_VALUE: Final = 2000
MAX_BUTTON_URL: Final = 3000
MAX_SELECT_OPTIONS: Final = 100
MAX_OPTION_TEXT: Final = 75
MAX_OPTION_VALUE: Final = 150
MAX_PLACEHOLDER: Final = 150
MAX_MARKDOWN_BLOCKS_TEXT: Final = 12_000
MAX_TABLE_COLUMNS: Final = 20
MAX_TABLE_ROWS: Final = 100
MAX_TABLE_CELL: Final = 2000
MAX_MESSAGE_TEXT: Final = 40_000
"""chat.postMessage cuts ``text`` here and answers with the ``message_truncated`` warning."""
RECOMMENDED_MESSAGE_TEXT: Final = 4000
MAX_MARKDOWN_TEXT: Final = 12_000
"""``markdown_text`` on chat.postMessage and each chat.appendStream call."""
MAX_ATTACHMENTS: Final = 100
MAX_VIEW_BLOCKS: Final = 100
"""Modals and Home tabs take up to 100 blocks."""
MAX_OVERFLOW_OPTIONS: Final = 5
MAX_CHOICE_OPTIONS: Final = 10
"""Checkboxes and radio buttons."""
MAX_CONTEXT_ACTIONS_ELEMENTS: Final = 5
MAX_INPUT_LABEL: Final = 2000
MAX_IMAGE_TITLE: Final = 2000
MAX_CONFIRM_TITLE: Final = 100
MAX_CONFIRM_TEXT: Final = 300
MAX_CONFIRM_BUTTON: Final = 30
MAX_VIEW_TITLE: Final = 24
MAX_PRIVATE_METADATA: Final = 3000
MAX_LOADING_MESSAGES: Final = 10
MAX_LOADING_MESSAGE_TEXT: Final = 50
MAX_TEXT_OBJECT: Final = 3000
"""A ``mrkdwn``/``plain_text`` object outside sections (e.g. a context element)."""
MAX_TOTAL_BLOCKS_TEXT: Final = 10_000
"""Undocumented: ``msg_blocks_too_long`` once the text of all blocks passes roughly
11–13k characters (slackapi/bolt-js#2509, #2867). The renderer stays under this."""
