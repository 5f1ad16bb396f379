"""Human in the loop: ``thread.await_choice`` asks, a click answers, in this process or in
another one sharing the store, even after a restart.

- ``registry``: this process's pending choices, by id;
- ``records``: what the store keeps of a choice and of a handed-over answer;
- ``relay``: heartbeat, pub/sub, polling and hand-over between processes;
- ``replay``: closing a tool call whose choice expired;
- ``surface``: the conversation a choice is asked and answered in, as the choices see it;
- ``asking``: one ``await_choice`` from posting its card to its answer (``PendingChoice``);
- ``outcome``: how a waiting choice ends, and what its task waits on until then;
- ``offers``: ``offer_choice``'s questions, answered by a function the app named;
- ``answering``: routing a click (or a cancel) to the question it ends;
- ``deadlines``: one timer for every choice's deadline;
- ``service``: ``Choices``, the one object the bot holds.
"""

from botkit.choices.asking import PendingChoice
from botkit.choices.records import ChoiceRecord, HandedAnswer
from botkit.choices.registry import ChoiceRegistry, choice_label
from botkit.choices.service import Choices, ChoiceSurface
from botkit.ui.binding import choice_id_of

__all__ = [
    "ChoiceRecord",
    "ChoiceRegistry",
    "ChoiceSurface",
    "Choices",
    "HandedAnswer",
    "PendingChoice",
    "choice_id_of",
    "choice_label",
]
