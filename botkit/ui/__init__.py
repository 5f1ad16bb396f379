"""Rich messages from a small component vocabulary.

``from botkit import ui`` then ``ui.Message(ui.Header("Ticket"), ui.Section("…"),
ui.Actions(ui.Button("Approve", value=True, style="primary")))``. Adapters render the same
tree to Slack Block Kit or to terminal text.
"""

from botkit.ui.inputs import Checkboxes, DatePicker, Input, Modal, SelectInput, TextInput
from botkit.ui.nodes import (
    Actions,
    Block,
    Button,
    Column,
    Context,
    Control,
    Divider,
    Field,
    Fields,
    Header,
    Image,
    Markdown,
    Message,
    Node,
    Option,
    Renderable,
    Section,
    Select,
    Table,
)

__all__ = [
    "Actions",
    "Block",
    "Button",
    "Checkboxes",
    "Column",
    "Context",
    "Control",
    "DatePicker",
    "Divider",
    "Field",
    "Fields",
    "Header",
    "Image",
    "Input",
    "Markdown",
    "Message",
    "Modal",
    "Node",
    "Option",
    "Renderable",
    "Section",
    "Select",
    "SelectInput",
    "Table",
    "TextInput",
]
