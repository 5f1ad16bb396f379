"""The table ``bench_peers`` prints: one column per contender, a min–max range per cell."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

KINDS: tuple[str, ...] = ("botkit", "bolt")
NAMES = {"botkit": "botkit", "bolt": "slack-bolt (hand-written)", "chatsdk": "chat-sdk (py)"}


@dataclass
class Cell:
    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(value)

    def show(self, digits: int = 1) -> str:
        vals = [v for v in self.values if v == v]
        if not vals:
            return "—"
        low, high = min(vals), max(vals)
        return f"{low:.{digits}f}" if round(low, digits) == round(high, digits) else \
            f"{low:.{digits}f}–{high:.{digits}f}"

    @property
    def median(self) -> float:
        vals = [v for v in self.values if v == v]
        return statistics.median(vals) if vals else float("nan")


Table = dict[str, dict[str, Cell]]


def print_table(table: Table, extra: list[tuple[str, str]], kinds: tuple[str, ...]) -> None:
    rows = list(table)
    width = max(len(r) for r in rows + [k for k, _ in extra]) + 2
    widths = [max(16, len(NAMES[k])) for k in kinds]
    print(f"\n| {'figure':{width}} | " +
          " | ".join(f"{NAMES[k]:>{w}}" for k, w in zip(kinds, widths, strict=True)) + " |")
    print(f"|{'-' * (width + 2)}|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        cells = table[row]
        print(f"| {row:{width}} | " + " | ".join(
            f"{cells[k].show(row_digits(row)):>{w}}" for k, w in zip(kinds, widths, strict=True))
            + " |")
    for name, value in extra:
        print(f"| {name:{width}} | {value:>{widths[0]}} | " +
              " | ".join(f"{'':>{w}}" for w in widths[1:]) + " |")


def contenders() -> tuple[str, ...]:
    """botkit and Bolt; chat-sdk too when installed (``pip install 'botkit[bench]'``)."""
    import importlib.util

    if importlib.util.find_spec("chat_sdk") is None:
        print("chat-sdk is not installed: its column is left out "
              "(pip install -e '.[bench]' adds it)", flush=True)
        return KINDS
    return (*KINDS, "chatsdk")


def row_digits(row: str) -> int:
    return 2 if "ratio" in row or "CPU" in row or "first text" in row else 0 if \
        "429" in row or "replies" in row else 1
