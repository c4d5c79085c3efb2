"""The outbox: everything the app says on Telegram is first an outgoing Telegram Message row.

`queue_message` stores the rows (status Queued, one per 4096-character part and per file, each with the
random_id Telegram deduplicates retries by, chosen now) in the caller's transaction; once that transaction
commits, the chats are announced with the OUTBOX_QUEUED event and a transport (telegram/delivery.py) sends
them. A rolled-back transaction announces nothing and leaves no row. Never talks to Telegram.
"""

import json
import secrets

import frappe
from frappe.utils import now_datetime

from tg_tickets.tickets import bulk, events
from tg_tickets.tickets.message_text import CAPTION_LIMIT, split_text

MESSAGE = "Message"
MESSAGE_EDIT = "Message Edit"  # a new text (and buttons) for a sent message: payload["edit_of"] names its row
PENDING_CHATS_FLAG = "tg_tickets_outbox_chats"


def new_random_id() -> int:
	"""A non-zero signed 64-bit id, as Telegram's random_id wants."""
	return secrets.randbits(63) * (1 if secrets.randbits(1) else -1) or 1


def queue_message(
	chat: str,
	text: str = "",
	*,
	ticket: str | None = None,
	kind: str = MESSAGE,
	topic_id: int | None = None,
	into_topic: bool = False,
	reply_to_message_id: int | None = None,
	buttons: list | None = None,
	entities: list | None = None,
	files: list | None = None,
	is_agent_reply: bool = False,
	agent: str | None = None,
	extra: dict | None = None,
) -> list[str]:
	"""Stores the outgoing rows and announces the chat after commit; returns the rows' names in order.
	Buttons are rows of (label, callback data) or of {"text", "url"}."""
	chat = str(chat)
	parts = split_text(text or "") if kind == MESSAGE else [text or ""]
	file_rows = list(files or [])
	if kind == MESSAGE and file_rows and len(parts) == 1 and len(parts[0]) <= CAPTION_LIMIT:
		parts = []  # a short text rides as the first file's caption
	rows = [(part, None) for part in parts] + [(None, f) for f in file_rows]
	if file_rows and not parts:
		rows[0] = (text or "", file_rows[0])
	names = []
	for index, (part, file_name) in enumerate(rows):
		payload = dict(extra or {})
		if buttons and index == len(rows) - 1:
			payload["buttons"] = buttons
		if entities and index == 0:
			payload["entities"] = entities  # Telegram's formatting of the text (a single part, see conversation.py)
		if into_topic:
			payload["into_topic"] = 1
		doc = frappe.get_doc({
			"doctype": "Telegram Message",
			"direction": "Outgoing",
			"message_kind": kind,
			"ticket": ticket,
			"chat": chat,
			"chat_id": chat,
			"text": part or "",
			"attachments": json.dumps([file_name]) if file_name else None,
			"topic_id": topic_id,
			"reply_to_message_id": reply_to_message_id,
			"is_agent_reply": 1 if is_agent_reply else 0,
			"agent": agent,
			"status": "Queued",
			"random_id": str(new_random_id()),
			"part": index,
			"telegram_date": now_datetime(),
			"payload": json.dumps(payload) if payload else None,
		})
		doc.message_key = f"out:{doc.random_id}"
		doc.insert(ignore_permissions=True)
		names.append(doc.name)
	announce_after_commit([chat])
	return names


OUTGOING_FIELDS = (
	"direction", "message_kind", "ticket", "chat", "chat_id", "text", "is_agent_reply", "status", "random_id", "part",
	"telegram_date", "payload", "message_key", "sentiment", "sentiment_scored",
)


def queue_many(messages: list[dict]) -> list[str]:
	"""Many short messages ({chat, text, ticket, buttons, and optionally kind and into_topic}) in one INSERT, as
	`queue_message` would store each (text within one part, no files): for sweeps that speak to thousands of
	customers at once, or close thousands of forum topics."""
	rows, names, chats = [], [], set()
	now = now_datetime()
	for message in messages:
		random_id = str(new_random_id())
		payload = {"buttons": message["buttons"]} if message.get("buttons") else {}
		if message.get("into_topic"):
			payload["into_topic"] = 1
		payload = json.dumps(payload) if payload else None
		name = frappe.generate_hash(length=10)
		rows.append((name, "Outgoing", message.get("kind") or MESSAGE, message.get("ticket"), str(message["chat"]), str(message["chat"]),
			message["text"][:4096], 0, "Queued", random_id, 0, now, payload, f"out:{random_id}", 0, 0))
		names.append(name)
		chats.add(str(message["chat"]))
	bulk.insert_rows("Telegram Message", ("name", *OUTGOING_FIELDS), rows)
	announce_after_commit(chats)
	return names


def announce_after_commit(chats) -> None:
	"""The chats' queued rows are announced once this transaction commits (and forgotten on rollback)."""
	pending = frappe.flags.setdefault(PENDING_CHATS_FLAG, set())
	if not pending:
		frappe.db.after_commit.add(announce_pending)
		frappe.db.after_rollback.add(lambda: frappe.flags.pop(PENDING_CHATS_FLAG, None))
	pending.update(str(chat) for chat in chats)


def announce_pending() -> None:
	chats = frappe.flags.pop(PENDING_CHATS_FLAG, None) or set()
	if chats:
		events.emit(events.OUTBOX_QUEUED, sorted(chats))
