"""The stand-in's check of a view (``views.publish``, ``views.open``, ``views.update``)
against Block Kit's documented limits, answered the way Slack answers.

A view-level problem (its type, more than 100 blocks, ``private_metadata`` over 3,000
characters, a modal's title over 24) is ``invalid_arguments``; a problem inside a block
is ``invalid_blocks`` with ``errors``. Both carry ``response_metadata.messages`` lines
``[ERROR] <what> [json-pointer:/view/...]``, as Slack's do. Limits (Block Kit reference):

- view: 100 blocks; ``private_metadata`` 3,000; ``callback_id``, ``external_id`` 255;
  modal ``title``, ``submit``, ``close`` 24 (plain_text)
- every block: ``block_id`` 255
- section: ``text`` 3,000 (1 at least); ``fields`` 10 of 2,000; one ``accessory``
- header: plain_text 150; context: 10 elements; actions: 25 elements
- input: ``label`` and ``hint`` 2,000 (plain_text)
- text objects: 1 character at least; plain_text or mrkdwn
- button: ``text`` plain_text 75, ``action_id`` 255, ``value`` 2,000, ``url`` 3,000,
  ``style`` primary or danger
- select, checkbox and radio options: ``text`` 75, ``value`` 150; 100 options (10 for
  checkboxes and radio buttons); ``placeholder`` 150
- plain_text_input: ``initial_value`` 3,000 at most, ``placeholder`` 150
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_BLOCKS = 100
OPTION_LIMITS = {"checkboxes": 10, "radio_buttons": 10}


@dataclass
class ViewProblems:
    """What is wrong with a view: ``arguments`` (the view) or ``blocks`` (inside them)."""

    arguments: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)

    def answer(self) -> dict[str, Any] | None:
        """Slack's error answer, or None when the view is valid."""
        if self.arguments:
            messages = self.arguments + self.blocks
            return {"ok": False, "error": "invalid_arguments", "response_metadata": _meta(messages)}
        if self.blocks:
            return {
                "ok": False,
                "error": "invalid_blocks",
                "errors": list(self.blocks),
                "response_metadata": _meta(self.blocks),
            }
        return None


def _meta(messages: list[str]) -> dict[str, list[str]]:
    return {"messages": [f"[ERROR] {m}" for m in messages]}


def check_view(view: Any, kind: str) -> ViewProblems:
    """Every documented limit the view breaks (``kind``: ``home`` or ``modal``)."""
    found = ViewProblems()
    if not isinstance(view, dict) or view.get("type") != kind:
        found.arguments.append(f"must be a {kind} view [json-pointer:/view/type]")
        return found
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        found.arguments.append("must be an array [json-pointer:/view/blocks]")
        return found
    if len(blocks) > MAX_BLOCKS:
        found.arguments.append(
            f"must provide no more than {MAX_BLOCKS} items [json-pointer:/view/blocks]"
        )
    _length(found.arguments, view.get("private_metadata"), 3000, "/view/private_metadata")
    for key in ("callback_id", "external_id"):
        _length(found.arguments, view.get(key), 255, f"/view/{key}")
    if kind == "modal":
        if not isinstance(view.get("title"), dict):
            found.arguments.append("must provide an object [json-pointer:/view/title]")
        for key in ("title", "submit", "close"):
            if key in view:
                _text(found.arguments, view[key], f"/view/{key}", 24, plain=True)
    for n, block in enumerate(blocks):
        _block(found.blocks, block, f"/view/blocks/{n}")
    return found


def _length(out: list[str], value: Any, limit: int, where: str) -> None:
    if isinstance(value, str) and len(value) > limit:
        out.append(f"must be less than {limit + 1} characters [json-pointer:{where}]")


def _text(out: list[str], obj: Any, where: str, limit: int, *, plain: bool = False) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        out.append(f"must be a text object [json-pointer:{where}]")
        return
    if plain and obj["type"] != "plain_text":
        out.append(f"must be a plain_text object [json-pointer:{where}/type]")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        out.append(f"must be more than 0 characters [json-pointer:{where}/text]")
        return
    _length(out, text, limit, f"{where}/text")


def _block(out: list[str], block: Any, where: str) -> None:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        out.append(f"must be a block object [json-pointer:{where}]")
        return
    _length(out, block.get("block_id"), 255, f"{where}/block_id")
    check = _BLOCKS.get(block["type"])
    if check is not None:
        check(out, block, where)


def _section(out: list[str], block: dict[str, Any], where: str) -> None:
    if "text" in block or "fields" not in block:
        _text(out, block.get("text"), f"{where}/text", 3000)
    fields = block.get("fields") or []
    if len(fields) > 10:
        out.append(f"must provide no more than 10 items [json-pointer:{where}/fields]")
    for n, item in enumerate(fields):
        _text(out, item, f"{where}/fields/{n}", 2000)
    if "accessory" in block:
        _element(out, block["accessory"], f"{where}/accessory")


def _header(out: list[str], block: dict[str, Any], where: str) -> None:
    _text(out, block.get("text"), f"{where}/text", 150, plain=True)


def _context(out: list[str], block: dict[str, Any], where: str) -> None:
    elements = block.get("elements") or []
    if not elements or len(elements) > 10:
        out.append(f"must provide 1 to 10 items [json-pointer:{where}/elements]")
    for n, item in enumerate(elements):
        if isinstance(item, dict) and item.get("type") in ("plain_text", "mrkdwn"):
            _text(out, item, f"{where}/elements/{n}", 3000)


def _actions(out: list[str], block: dict[str, Any], where: str) -> None:
    elements = block.get("elements") or []
    if not elements or len(elements) > 25:
        out.append(f"must provide 1 to 25 items [json-pointer:{where}/elements]")
    for n, item in enumerate(elements):
        _element(out, item, f"{where}/elements/{n}")


def _input(out: list[str], block: dict[str, Any], where: str) -> None:
    _text(out, block.get("label"), f"{where}/label", 2000, plain=True)
    if "hint" in block:
        _text(out, block["hint"], f"{where}/hint", 2000, plain=True)
    _element(out, block.get("element"), f"{where}/element")


_BLOCKS: dict[str, Callable[[list[str], dict[str, Any], str], None]] = {
    "section": _section,
    "header": _header,
    "context": _context,
    "actions": _actions,
    "input": _input,
}


def _element(out: list[str], element: Any, where: str) -> None:
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        out.append(f"must be an element object [json-pointer:{where}]")
        return
    _length(out, element.get("action_id"), 255, f"{where}/action_id")
    if "placeholder" in element:
        _text(out, element["placeholder"], f"{where}/placeholder", 150, plain=True)
    kind = element["type"]
    if kind == "button":
        _text(out, element.get("text"), f"{where}/text", 75, plain=True)
        _length(out, element.get("value"), 2000, f"{where}/value")
        _length(out, element.get("url"), 3000, f"{where}/url")
        if element.get("style") not in (None, "primary", "danger"):
            out.append(f"must be primary or danger [json-pointer:{where}/style]")
    elif kind == "plain_text_input":
        _length(out, element.get("initial_value"), 3000, f"{where}/initial_value")
    elif kind in ("static_select", "checkboxes", "radio_buttons"):
        options = element.get("options") or []
        limit = OPTION_LIMITS.get(kind, 100)
        if len(options) > limit:
            out.append(f"must provide no more than {limit} items [json-pointer:{where}/options]")
        for n, option in enumerate(options):
            _text(out, (option or {}).get("text"), f"{where}/options/{n}/text", 75)
            _length(out, (option or {}).get("value"), 150, f"{where}/options/{n}/value")
