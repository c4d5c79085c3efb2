"""What each inbound record means, one handler per kind (HANDLERS): keep the Linked Chat current, store the
Telegram Message, and route it — a ticket's forum topic → that ticket (an agent's post, relayed to the
customer); a private chat with an open ticket → appended; a message a domain waits for (a rating's comment) →
its ticket; a reply to a SOLVED ticket (or a CLOSED one inside its reopen window) → reopened; after a ticket
closed under an auto-close rule → a follow-up ticket linked to it; no ticket → the bot's intake form; the
General topic or a group's main chat → flagged for agents.

Ticket operations are the hub's (tg_tickets.tickets.conversation); replies go to the outbox. Runs inside the
inbox job's transaction; never commits, never talks to Telegram.
"""

import json
from collections.abc import Callable

import frappe
from frappe.utils import convert_utc_to_system_timezone, get_datetime, now_datetime

from tg_tickets import permissions
from tg_tickets.telegram import intake_flow, topics
from tg_tickets.telegram.records import GENERAL_TOPIC_ID, InboundRecord
from tg_tickets.tickets import assignment, bulk, conversation, queries, realtime
from tg_tickets.tickets.fields import CLOSED, SOLVED
from tg_tickets.tickets.outbox import queue_message

FLAGGED_PREFIX = "tf:c:"  # "Create ticket" button under a flagged message (+ the message's 10-character name)

MESSAGE_FIELDS = (
	"direction", "message_kind", "ticket", "chat", "chat_id", "sender_id", "sender_name", "message_id", "topic_id",
	"reply_to_message_id", "telegram_date", "text", "media_type", "media_meta", "message_key", "is_agent_reply",
	"is_deleted", "flagged", "part", "attempts", "sentiment", "sentiment_scored",
)


def local_time(value):
	"""A record's naive UTC ISO date → the site's time zone (what every datetime column holds)."""
	return convert_utc_to_system_timezone(get_datetime(value)).replace(tzinfo=None) if value else now_datetime()


class BatchContext:
	"""What a batch reads once and writes once: chats, intake sessions, current tickets, known message keys;
	last_message_at per chat and one realtime event for the tickets that got messages."""

	def __init__(self):
		self.chats = {}
		self.last_message_at = {}
		self.tickets = set()
		self.dirty_chats = set()
		self.seen_keys = set()
		self.sessions = set()
		self.current_ticket = {}
		self.mirroring = False
		# per ticket with new customer messages: the sentiment of those that scored, in order (maybe none: a photo)
		self.scores: dict[str, list[float]] = {}
		self.rescored: set[str] = set()  # tickets whose stored customer messages were scored again (edits)

	def prefetch(self, records: list[InboundRecord]) -> None:
		self.mirroring = bool(topics.topic_group())
		messages = [r for r in records if r.kind in ("message", "edit") and r.chat_id is not None]
		chat_ids = tuple({str(r.chat_id) for r in messages})
		if not chat_ids:
			return
		keys = tuple({r.message_key for r in messages})
		self.seen_keys.update(frappe.db.sql_list("select message_key from `tabTelegram Message` where message_key in %s", (keys,)))
		for name, title, username, chat_type in frappe.db.sql(
			"select name, title, username, chat_type from `tabLinked Chat` where name in %s", (chat_ids,)
		):
			self.chats[name] = (title, username, chat_type)
		self.sessions.update(frappe.db.sql_list("select chat from `tabTelegram Intake Session` where chat in %s", (chat_ids,)))
		self.current_ticket.update(queries.current_tickets(chat_ids))

	def is_plain_followup(self, record: InboundRecord) -> bool:
		"""A customer's private message on an open ticket, in a known chat, and nothing else to do."""
		if record.kind != "message" or record.outgoing or record.chat_type != "Private":
			return False
		chat = str(record.chat_id)
		if chat in self.dirty_chats or chat in self.sessions or self.mirroring:
			return False
		if (record.text or "").startswith("/") or record.message_key in self.seen_keys:
			return False
		if self.chats.get(chat) != wanted_chat(record):
			return False
		ticket = self.current_ticket.get(chat)
		return ticket is not None and ticket[1] not in (SOLVED, CLOSED)

	def insert_followups(self, records: list[InboundRecord]) -> None:
		"""The plain follow-ups collected by the inbox job, in one statement."""
		if not records:
			return
		values = []
		scores = conversation.customer_sentiments([record.text or "" for record in records])
		for record, score in zip(records, scores):
			chat = str(record.chat_id)
			ticket = self.current_ticket[chat][0]
			at = local_time(record.date)
			values.append((
				"Incoming", "Message", ticket, chat, chat, str(record.sender_id) if record.sender_id else None,
				record.sender_name, record.message_id or 0, record.topic_id or 0, record.reply_to_msg_id or 0, at,
				record.text or "", record.media_type, json.dumps(record.media) if record.media else None,
				record.message_key, 0, 0, 0, 0, 0, score or 0, 0 if score is None else 1,
			))
			self.touch(chat, at, ticket)
			self.scores.setdefault(ticket, [])
			if score is not None:
				self.scores[ticket].append(score)
		bulk.insert_rows("Telegram Message", MESSAGE_FIELDS, values)

	def touch(self, chat_id: str, at, ticket: str | None):
		if at and (chat_id not in self.last_message_at or at > self.last_message_at[chat_id]):
			self.last_message_at[chat_id] = at
		if ticket:
			self.tickets.add(ticket)

	def flush(self):
		if self.last_message_at:
			items = sorted(self.last_message_at.items())
			derived = " union all ".join(["select %s as name, %s as at"] * len(items))
			frappe.db.sql(
				f"""update `tabLinked Chat` l join ({derived}) v on v.name = l.name
				set l.last_message_at = greatest(ifnull(l.last_message_at, v.at), v.at)""",
				[x for pair in items for x in pair],
			)
		conversation.customer_messages_stored(self.scores)
		conversation.customer_scores_changed(self.rescored)
		conversation.ticket_messages_stored(self.tickets)
		realtime.notify_conversation_changed(self.tickets)


# --- one record ---------------------------------------------------------------------------------------


def handle(record: InboundRecord, context: BatchContext | None = None) -> None:
	handler = HANDLERS.get(record.kind)
	if handler:
		handler(record, context or BatchContext())


def wanted_chat(record: InboundRecord) -> tuple:
	return (record.chat_title or str(record.chat_id), record.chat_username, record.chat_type or "Private")


def ensure_chat(record: InboundRecord, context: BatchContext) -> str:
	"""Creates the Linked Chat on first contact and keeps its title, username and type current."""
	chat_id = str(record.chat_id)
	wanted = wanted_chat(record)
	if context.chats.get(chat_id) == wanted:
		return chat_id
	current = frappe.db.get_value("Linked Chat", chat_id, ["title", "username", "chat_type"])
	if current is None:
		frappe.get_doc({
			"doctype": "Linked Chat", "chat_id": chat_id, "title": wanted[0], "username": wanted[1],
			"chat_type": wanted[2], "last_message_at": local_time(record.date),
		}).insert(ignore_permissions=True)
	else:
		title = wanted[0] if record.chat_title and record.chat_title != chat_id else current[0]
		values = {"title": title, "username": wanted[1] or current[1], "chat_type": wanted[2]}
		if tuple(values.values()) != tuple(current):
			frappe.db.set_value("Linked Chat", chat_id, values, update_modified=False)
	context.chats[chat_id] = wanted
	return chat_id


def insert_message(record: InboundRecord, context: BatchContext, **values) -> str:
	"""The Telegram Message row of a received message (a fast insert: no validation hooks, the inbox already
	deduplicated)."""
	doc = frappe.get_doc({
		"doctype": "Telegram Message",
		"direction": "Outgoing" if record.outgoing else "Incoming",
		"message_kind": "Message",
		"chat": str(record.chat_id),
		"chat_id": str(record.chat_id),
		"sender_id": str(record.sender_id) if record.sender_id else None,
		"sender_name": record.sender_name,
		"message_id": record.message_id,
		"topic_id": record.topic_id,
		"reply_to_message_id": record.reply_to_msg_id,
		"telegram_date": local_time(record.date),
		"text": record.text or "",
		"media_type": record.media_type,
		"media_meta": json.dumps(record.media) if record.media else None,
		"message_key": record.message_key,
		**values,
	})
	if doc.ticket and doc.direction == "Incoming" and not doc.is_agent_reply:
		scored = context.scores.setdefault(doc.ticket, [])
		[score] = conversation.customer_sentiments([doc.text]) if doc.text else [None]
		if score is not None:
			doc.sentiment, doc.sentiment_scored = score, 1
			scored.append(score)
	doc.set_new_name()
	doc.set_user_and_timestamp()
	doc.db_insert()
	context.touch(doc.chat, doc.telegram_date, doc.ticket)
	return doc.name


def flag(record: InboundRecord, context: BatchContext, reason: str) -> str:
	"""Stores a message that belongs to no ticket, marked for agents to move or turn into a ticket."""
	name = insert_message(record, context, flagged=1, flag_reason=reason)
	realtime.notify_flagged_message(name, str(record.chat_id), reason)
	return name


def handle_message(record: InboundRecord, context: BatchContext) -> None:
	chat = ensure_chat(record, context)
	if frappe.db.exists("Telegram Message", {"message_key": record.message_key}):
		return  # stored under another inbox key earlier (e.g. an edit seen before the message)
	if record.outgoing:
		insert_message(record, context)
	elif record.chat_type == "Private":
		handle_private(record, chat, context)
	elif chat == topics.topic_group():
		handle_topic_group(record, chat, context)
	else:
		handle_group(record, chat, context)


def handle_private(record: InboundRecord, chat: str, context: BatchContext) -> None:
	if record.command == "/status":
		insert_message(record, context)
		intake_flow.send_status(chat)
		return
	session = frappe.db.get_value("Telegram Intake Session", chat, "state")
	if session is not None:
		insert_message(record, context)
		intake_flow.run(chat, record, {"text": record.text or ""}, json.loads(session or "null"), local_time(record.date))
		return
	found = queries.current_ticket(chat)
	if not found or found[1] in (SOLVED, CLOSED):
		claimed = conversation.claim_customer_reply(chat, record.text or "")
		if claimed:
			insert_message(record, context, ticket=claimed)
			return
	if found:
		ticket, status = found
		conversation.customer_message_added(ticket, status, record.sender_name, record.text or f"[{record.media_type}]")
		insert_message(record, context, ticket=ticket)
		return
	previous = queries.closed_ticket_to_follow_up(chat)
	if previous:
		ticket = conversation.follow_up_ticket(previous, chat, record.sender_name, record.text or f"[{record.media_type}]")
		insert_message(record, context, ticket=ticket)
		return
	insert_message(record, context)
	intake_flow.run(chat, record, {"text": record.text or ""}, None, local_time(record.date))


def handle_topic_group(record: InboundRecord, chat: str, context: BatchContext) -> None:
	topic_id = record.topic_id
	ticket = queries.ticket_for_topic(chat, topic_id) if topic_id and topic_id != GENERAL_TOPIC_ID else None
	if not ticket:
		reason = "Posted in the General topic" if topic_id in (None, GENERAL_TOPIC_ID) else "Posted in a topic without a ticket"
		name = flag(record, context, f"{reason}: move it to a ticket or create one")
		# In the agents' own group the bot offers the fix in place (not in customer groups: too noisy there).
		queue_message(
			chat, "This message is outside a ticket's topic. Move it to a ticket from the desk, or:",
			reply_to_message_id=record.message_id, topic_id=topic_id if topic_id != GENERAL_TOPIC_ID else None,
			buttons=[[("Create ticket", f"{FLAGGED_PREFIX}{name}")]],
		)
		return
	agent = frappe.db.get_value("Telegram Agent", {"telegram_user_id": str(record.sender_id)}, "user")
	insert_message(record, context, ticket=ticket, is_agent_reply=1, agent=agent)
	if record.command:
		# a command for the helpdesk (e.g. /escalate reason): answered in the topic, never sent to the customer
		answer = conversation.topic_command(ticket, agent, record.text or "")
		if answer is not None:
			queue_message(chat, answer, ticket=ticket, topic_id=topic_id, reply_to_message_id=record.message_id)
			return
	if agent and permissions.read_only_after_escalation(ticket, agent):
		# kept in the topic (the agent still reads the ticket), never sent to the customer
		queue_message(chat, f"Ticket #{ticket} was escalated away from you: you can read it but no longer reply.",
			ticket=ticket, topic_id=topic_id, reply_to_message_id=record.message_id)
		return
	conversation.relay_topic_reply(ticket, record.text or "", agent)


def handle_group(record: InboundRecord, chat: str, context: BatchContext) -> None:
	"""Other groups: a reply to a ticket's message joins that ticket; anything else is flagged."""
	ticket = queries.ticket_of_message(chat, record.reply_to_msg_id) if record.reply_to_msg_id else None
	if ticket:
		insert_message(record, context, ticket=ticket)
		return
	flag(record, context, "Posted in a group outside a ticket: move it to a ticket or create one")


def handle_edit(record: InboundRecord, context: BatchContext) -> None:
	"""An edit keeps the previous text (and the whole history); an edit of an unseen message stores it."""
	current = frappe.db.get_value(
		"Telegram Message", {"message_key": record.message_key},
		["name", "text", "edit_history", "ticket", "direction", "is_agent_reply", "sentiment_scored"], as_dict=True,
	)
	if current is None:
		handle_message(record, context)
		return
	history = json.loads(current.edit_history or "[]")
	history.append({"text": current.text, "replaced_at": record.edit_date})
	values = {
		"previous_text": current.text, "text": record.text or "", "edit_history": json.dumps(history, ensure_ascii=False),
		"edited_at": local_time(record.edit_date),
	}
	if current.ticket and current.direction == "Incoming" and not current.is_agent_reply:
		# a customer's edit is scored again: the ticket's trend and escalation follow the new text
		[score] = conversation.customer_sentiments([record.text or ""]) if record.text else [None]
		values.update(sentiment=score or 0, sentiment_scored=0 if score is None else 1)
		if score is not None or current.sentiment_scored:
			context.rescored.add(current.ticket)
	frappe.db.set_value("Telegram Message", current.name, values)
	if current.ticket:
		context.tickets.add(current.ticket)


def handle_delete(record: InboundRecord, context: BatchContext) -> None:
	"""Deleted messages are marked, never erased. Chat 0: private/basic-group ids are unique per account."""
	filters = {"message_id": record.message_id, "direction": "Incoming"}
	if record.chat_id:
		filters["chat"] = str(record.chat_id)
	else:
		filters["chat"] = ["not like", "-100%"]
	for name, ticket in frappe.get_all("Telegram Message", filters=filters, fields=["name", "ticket"], as_list=True):
		frappe.db.set_value("Telegram Message", name, {"is_deleted": 1, "deleted_at": now_datetime()})
		if ticket:
			context.tickets.add(ticket)


def handle_callback(record: InboundRecord, context: BatchContext) -> None:
	chat = ensure_chat(record, context)
	data = record.data or ""
	if data.startswith(topics.CLAIM_PREFIX):
		answer = claim_from_topic(data.removeprefix(topics.CLAIM_PREFIX), record)
		queue_message(chat, answer, kind="Callback Answer", extra={"query_id": record.query_id})
		return
	if data.startswith(FLAGGED_PREFIX):
		queue_message(chat, "", kind="Callback Answer", extra={"query_id": record.query_id})
		message = data.removeprefix(FLAGGED_PREFIX)
		if frappe.db.get_value("Telegram Message", message, "flagged"):
			ticket = conversation.ticket_from_message(message)
			queue_message(chat, f"Ticket #{ticket} created from this message.", reply_to_message_id=record.callback_message_id)
		return
	if intake_flow.is_intake_callback(data):
		queue_message(chat, "", kind="Callback Answer", extra={"query_id": record.query_id})
		intake_flow.on_callback(chat, record, data, local_time(record.date))
		return
	# Buttons other domains made (auto-close, ratings): theirs to act on and to answer.
	answer = conversation.button_pressed(chat, data, record.sender_id)
	queue_message(chat, answer or "", kind="Callback Answer", extra={"query_id": record.query_id})


def claim_from_topic(ticket_name: str, record: InboundRecord) -> str:
	"""The Claim button under a topic header: the agent whose linked Telegram account pressed it takes the
	ticket through the hub's claim (exactly one winner, the same checks as the desk). Returns the answer the
	presser sees."""
	user = frappe.db.get_value("Telegram Agent", {"telegram_user_id": str(record.sender_id or "")}, "user")
	if not user:
		return "Link your Telegram account in the desk (Telegram Agent) to claim tickets here."
	try:
		assignment.claim(ticket_name, user)
	except (frappe.ValidationError, frappe.PermissionError, frappe.DoesNotExistError) as refused:
		frappe.clear_last_message()
		return frappe.utils.strip_html(str(refused)) or "This ticket cannot be claimed."
	return f"You took ticket #{ticket_name}."


# "service" records (topic created/edited, members joined) need nothing: topic ids come from our own requests.
HANDLERS: dict[str, Callable[[InboundRecord, BatchContext], None]] = {
	"message": handle_message,
	"edit": handle_edit,
	"delete": handle_delete,
	"callback": handle_callback,
}
