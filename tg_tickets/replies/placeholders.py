"""Canned-response placeholders: a fixed list of `{{name}}` slots filled with the ticket's values, never a
template language (no Jinja, no expressions: text between braces is a name or it is refused).

Bodies are Telegram HTML (tickets/formatting.py); a value is escaped before it goes in, so a customer called
`<b>Bob & Co</b>` reads exactly that and cannot change the message's formatting. A slot whose value is missing
stays in the text as `{{name}}`: the reply box highlights it and the send guard refuses it until the agent fills
it or removes it. Pure: no Frappe, no I/O.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tg_tickets.tickets.formatting import escape

# The fixed list (name → what the reply box tells the agent it is).
FIXED = {
	"customer_name": "Customer's name",
	"customer_username": "Customer's Telegram username",
	"ticket_id": "Ticket ID",
	"ticket_title": "Ticket title",
	"agent_name": "Agent's name",
	"team": "Team",
}
# `{{ticket.<fieldname>}}`: any custom field of the ticket.
CUSTOM_FIELD_PREFIX = "ticket."

SLOT = re.compile(r"\{\{(.*?)\}\}", re.S)
NAME = re.compile(r"^(?:[a-z_][a-z0-9_]*|ticket\.[a-z_][a-z0-9_]*)$")
TEMPLATE_CODE = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.S)


@dataclass(frozen=True)
class Rendered:
	text: str
	missing: tuple[str, ...] = ()


def slot_names(body: str) -> list[str]:
	"""The names between `{{` and `}}`, stripped, each once, in the order they appear."""
	found = []
	for match in SLOT.finditer(body or ""):
		name = match.group(1).strip()
		if name not in found:
			found.append(name)
	return found


def is_known(name: str, custom_fields: Iterable[str] = ()) -> bool:
	if name in FIXED:
		return True
	return name.startswith(CUSTOM_FIELD_PREFIX) and name[len(CUSTOM_FIELD_PREFIX):] in set(custom_fields)


def problems(body: str, custom_fields: Iterable[str] = ()) -> list[str]:
	"""Why a body cannot be saved, in words for the agent: template code, or placeholders not on the list."""
	custom_fields = list(custom_fields)
	found = []
	code = TEMPLATE_CODE.search(body or "")
	if code:
		found.append(f"Template code is not allowed: {code.group(0)}")
	for name in slot_names(body):
		if not NAME.match(name) or not is_known(name, custom_fields):
			found.append(f"Unknown placeholder {{{{{name}}}}}")
	return found


def render(body: str, values: Mapping[str, object]) -> Rendered:
	"""Fills each known slot with its escaped value; a slot without a value (None or blank) stays as
	`{{name}}` and is listed in `missing`. Slots not in `values` count as missing too."""
	missing = []

	def fill(match):
		name = match.group(1).strip()
		value = values.get(name)
		if value is None or not str(value).strip():
			if name not in missing:
				missing.append(name)
			return "{{" + name + "}}"
		return escape(str(value).strip())

	return Rendered(SLOT.sub(fill, body or ""), tuple(missing))


def unfilled(text: str) -> list[str]:
	"""The placeholders still in a reply (what the send guard refuses), each once, in order."""
	return [name for name in slot_names(text) if NAME.match(name)]
