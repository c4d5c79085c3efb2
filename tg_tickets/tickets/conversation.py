"""Ticket operations on the Telegram conversation, used by the desk, REST, the bot and the inbox job alike:
create a ticket from a message or from the bot's intake form, move a message, reopen on a customer's reply,
the chats a reply goes to, queue an agent's reply, and what follows a reply's delivery.

Business rules only: callers that act for a user (api/) check permissions first; the bot and the inbox job
act as the system. Never talks to Telegram (replies go to the outbox) and never commits, except
`agent_reply_sent`, which runs after delivery has committed.
"""

import json

import frappe
from frappe import _

from tg_tickets.tickets import bulk, events, formatting, outbox, queries, realtime
from tg_tickets.tickets.fields import CLOSED, SOLVED
from tg_tickets.tickets.message_text import CAPTION_LIMIT, MESSAGE_LIMIT

MAX_FILE_BYTES = 2000 * 1024 * 1024  # Telegram's file limit for bots over MTProto
TITLE_LENGTH = 140


# --- replies ------------------------------------------------------------------------------------------


def reply_chats(ticket) -> list[str]:
	"""The chats a reply goes to: the ticket's first private chat, else its first chat that is not a forum."""
	chats = [row.chat for row in ticket.chats]
	return pick_reply_chat(chats, queries.chat_types(chats))


def pick_reply_chat(chats: list[str], types: dict[str, str]) -> list[str]:
	private = [c for c in chats if types.get(c) == "Private"]
	if private:
		return private[:1]
	return [c for c in chats if types.get(c) != "Forum"][:1]


def reply_files(ticket_name: str, attachments) -> list[str]:
	"""File names of the ticket's own files to send with a reply; anything else is refused."""
	if isinstance(attachments, str):
		attachments = json.loads(attachments) if attachments.strip().startswith("[") else [attachments]
	names = []
	for item in attachments or []:
		file_name = frappe.db.get_value("File", {"name": item}) or frappe.db.get_value(
			"File", {"file_url": item, "attached_to_doctype": "Ticket", "attached_to_name": ticket_name}
		)
		if not file_name:
			frappe.throw(_("Attachment {0} is not a file of ticket #{1}.").format(item, ticket_name))
		file = frappe.db.get_value("File", file_name, ["attached_to_doctype", "attached_to_name", "file_size"], as_dict=True)
		if file.attached_to_doctype != "Ticket" or file.attached_to_name != ticket_name:
			frappe.throw(_("Attachment {0} is not a file of ticket #{1}.").format(item, ticket_name))
		if (file.file_size or 0) > MAX_FILE_BYTES:
			frappe.throw(_("Attachment {0} is larger than Telegram's 2000 MiB limit.").format(item))
		names.append(file_name)
	return names


def queue_agent_reply(
	ticket, message: str, attachments=None, agent: str | None = None, formatted: bool = False, buttons=None
) -> dict:
	"""An agent's reply from the desk or REST: queued for the customer's chat; AGENT_REPLY_QUEUED lets the
	forum topic mirror it. Refused, with nothing stored, when empty, closed or without a chat.

	`formatted`: the message is Telegram HTML (a canned response's formatting); it is stored as the plain text
	the customer reads plus Telegram's entities. `buttons`: rows of {"text", "url"} shown under the message."""
	agent = agent or frappe.session.user
	message = (message or "").strip()
	files = reply_files(ticket.name, attachments)
	entities = None
	if formatted and message:
		message, entities = formatted_text(message, bool(files))
	if not message and not files:
		frappe.throw(_("The reply is empty."))
	if ticket.status == CLOSED:
		frappe.throw(_("Ticket #{0} is closed. Reopen it before replying.").format(ticket.name), title=_("Closed ticket"))
	chats = reply_chats(ticket)
	if not chats:
		frappe.throw(_("Ticket #{0} has no Telegram chat to reply to.").format(ticket.name))
	names = []
	for chat in chats:
		names += outbox.queue_message(
			chat, message, ticket=ticket.name, files=files, is_agent_reply=True, agent=agent, entities=entities,
			buttons=buttons,
		)
	events.emit(events.AGENT_REPLY_QUEUED, ticket, message, agent)
	realtime.notify_conversation_changed([ticket.name])  # other agents' open sheets show the queued reply
	return {"ticket": ticket.name, "messages": names, "status": "Queued"}


def formatted_text(message: str, with_files: bool) -> tuple[str, list[dict]]:
	"""Telegram HTML → (plain text, entities); refused when invalid or too long to keep its formatting in one
	message (Telegram's entities belong to one message; splitting would cut them)."""
	try:
		parsed = formatting.parse(message)
	except formatting.FormattingError as error:
		frappe.throw(_("The reply's formatting is not valid Telegram HTML: {0}").format(frappe.utils.escape_html(str(error))),
			title=_("Invalid formatting"))
	limit = MESSAGE_LIMIT
	if with_files and formatting.utf16_length(parsed.text) <= CAPTION_LIMIT:
		limit = CAPTION_LIMIT
	if parsed.entities and len(parsed.text) > limit:
		frappe.throw(_("A formatted reply may have at most {0} characters; shorten it or split it.").format(limit))
	return parsed.text, [entity.as_dict() for entity in parsed.entities]


def relay_topic_reply(ticket_name: str, text: str, agent: str | None) -> list[str]:
	"""An agent wrote in the ticket's forum topic: the text goes on to the customer, unless the ticket is
	closed (its topic is closed with it; a late post is kept but not sent)."""
	ticket = frappe.get_doc("Ticket", ticket_name)
	if ticket.status == CLOSED:
		return []
	names = []
	for chat in reply_chats(ticket):
		names += outbox.queue_message(chat, text or "", ticket=ticket_name, is_agent_reply=True, agent=agent)
	return names


def agent_reply_sent(ticket: str, sent_at) -> None:
	"""Delivery committed an agent's reply as Sent: AGENT_REPLY_SENT (the SLA's first response) in a
	transaction of its own, so a failing reaction never undoes a delivered message."""
	try:
		events.emit(events.AGENT_REPLY_SENT, ticket, sent_at)
		frappe.db.commit()
	except Exception:  # noqa: BLE001 - logged for admins; the message stays Sent
		frappe.db.rollback()
		frappe.log_error(title="Reaction to a sent agent reply failed", message=frappe.get_traceback())


# --- customer messages ------------------------------------------------------------------------------------


def customer_message_added(ticket: str, status: str, sender: str | None, text: str) -> None:
	"""A customer's message joined `ticket` (status before it): a SOLVED ticket, or a CLOSED one inside its
	reopen window (queries.current_tickets offers no other), reopens rather than a new one being opened;
	CUSTOMER_MESSAGE_ADDED lets the forum topic mirror it."""
	if status in (SOLVED, CLOSED):
		reopen(ticket, _("the customer wrote again"))
	events.emit(events.CUSTOMER_MESSAGE_ADDED, ticket, sender, text)


def reopen(ticket: str, reason: str | None = None) -> None:
	doc = frappe.get_doc("Ticket", ticket)
	previous = doc.status
	doc.status = "OPEN"
	doc.flags.ignore_permissions = True
	doc.save()
	if reason and previous in (SOLVED, CLOSED):
		doc.add_comment("Info", _("Reopened: {0}").format(reason))


def close_by_system(ticket: str, reason: str, write_history: bool = True) -> str:
	"""The system closes the ticket (auto-close): closed_by stays empty, closed_by_system is set and the reason
	goes on the ticket and into its history. A full save, so every domain reacts as to any close. Returns the
	history line; a caller closing many tickets passes write_history=False and writes the lines together
	(history_lines)."""
	doc = frappe.get_doc("Ticket", ticket)
	doc.status = CLOSED
	doc.close_reason = reason
	doc.flags.closed_by_system = True
	doc.flags.ignore_permissions = True
	# Only the status and its reason change: the links stored on the ticket were checked when they were set
	# (a query per link field and chat row less per close; auto-close closes thousands a minute).
	doc.flags.ignore_links = True
	doc.save()
	line = _("Closed by the system: {0}").format(reason)
	if write_history:
		doc.add_comment("Info", line)
	return line


def history_lines(lines: dict[str, str]) -> None:
	"""{ticket: line} into the tickets' history (Info comments on their timeline) in one insert, by the
	session's user, as Document.add_comment writes them one at a time."""
	user = frappe.session.user
	bulk.insert_rows("Comment", ("comment_type", "reference_doctype", "reference_name", "content", "comment_email"), [
		("Info", "Ticket", name, line, user) for name, line in sorted(lines.items())
	], user=user)


def message_customer(ticket: str, text: str, buttons: list | None = None) -> list[str]:
	"""A message from the helpdesk itself (not an agent) to the ticket's customer chat, with optional inline
	buttons [[(label, data)]]; nothing is queued for a ticket without a chat."""
	doc = frappe.get_doc("Ticket", ticket)
	names = []
	for chat in reply_chats(doc):
		names += outbox.queue_message(chat, text, ticket=ticket, buttons=buttons)
	if names:
		realtime.notify_conversation_changed([ticket])
	return names


def message_customers(messages: dict[str, tuple[str, list | None]]) -> dict[str, list[str]]:
	"""{ticket: (text, buttons)} from the helpdesk to each ticket's customer chat, in a few statements; returns
	{ticket: message names} (tickets without a chat are left out)."""
	chats_of = queries.chats_of_tickets(list(messages))
	types = queries.chat_types([c for chats in chats_of.values() for c in chats])
	rows, order = [], []
	for ticket, (text, buttons) in messages.items():
		for chat in pick_reply_chat(chats_of.get(ticket, []), types):
			rows.append({"chat": chat, "text": text, "ticket": ticket, "buttons": buttons})
			order.append(ticket)
	names = outbox.queue_many(rows)
	found: dict[str, list[str]] = {}
	for ticket, name in zip(order, names):
		found.setdefault(ticket, []).append(name)
	realtime.notify_conversation_changed(list(found))
	return found


def button_pressed(chat: str, data: str, sender_id: str | None) -> str | None:
	"""An inline button the Telegram edge does not know: the domain that made it answers (BUTTON_PRESSED);
	the first answer is what the presser sees. None when no domain claims it."""
	for answer in events.emit(events.BUTTON_PRESSED, str(chat), data, str(sender_id or "")):
		if answer is not None:
			return answer
	return None


def claim_customer_reply(chat: str, text: str) -> str | None:
	"""A private message while none of the chat's tickets is open: the ticket of the domain that was waiting
	for it (CUSTOMER_REPLY_EXPECTED), or None to route it as usual."""
	for ticket in events.emit(events.CUSTOMER_REPLY_EXPECTED, str(chat), text or ""):
		if ticket:
			return ticket
	return None


def customer_sentiments(texts: list[str]) -> list[float | None]:
	"""The sentiment of each customer text (CUSTOMER_TEXT_SENTIMENT); None for each when nothing scores."""
	for scores in events.emit(events.CUSTOMER_TEXT_SENTIMENT, list(texts)):
		if scores is not None:
			return list(scores)
	return [None] * len(texts)


def customer_messages_stored(scores: dict[str, list[float]]) -> None:
	"""Customer messages were stored: {ticket: the scores of those that scored, in order; maybe none, as for a
	photo or with no scorer} (CUSTOMER_MESSAGES_STORED)."""
	if scores:
		events.emit(events.CUSTOMER_MESSAGES_STORED, dict(sorted(scores.items())))


def customer_scores_changed(tickets) -> None:
	"""Stored customer messages of these tickets were scored again (CUSTOMER_SCORES_CHANGED)."""
	if tickets:
		events.emit(events.CUSTOMER_SCORES_CHANGED, sorted(tickets))


def ticket_messages_stored(tickets) -> None:
	"""An inbox batch stored messages on these tickets (TICKET_MESSAGES_STORED), once per batch."""
	if tickets:
		events.emit(events.TICKET_MESSAGES_STORED, sorted(tickets))


def topic_command(ticket: str, user: str | None, text: str) -> str | None:
	"""An agent's command in the ticket's forum topic (TOPIC_COMMAND): the answer for the topic, or None when
	no domain knows the command (the text is then relayed to the customer as any post)."""
	for answer in events.emit(events.TOPIC_COMMAND, ticket, user, text or ""):
		if answer is not None:
			return answer
	return None


def follow_up_ticket(previous: str, chat: str, sender: str | None, text: str) -> str:
	"""A customer wrote after `previous` was closed for good: a new ticket linked to it (its category and
	priority carried over), and the customer is told its ID."""
	old = frappe.get_doc("Ticket", previous)
	first_line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
	ticket = frappe.get_doc({
		"doctype": "Ticket",
		"title": (first_line or _("Follow-up to #{0}").format(previous))[:TITLE_LENGTH],
		"status": "NEW",
		"priority": old.priority,
		"category": old.category,
		"description": text,
		"chats": [{"chat": chat}],
		"customer_telegram_id": old.customer_telegram_id or chat,
		"follow_up_of": previous,
	}).insert(ignore_permissions=True)
	ticket.add_comment("Info", _("Follow-up to #{0}, which was closed").format(previous))
	outbox.queue_message(chat, _("We opened ticket #{0} for your message (a follow-up to #{1}).").format(ticket.name, previous), ticket=ticket.name)
	realtime.notify_ticket_changed(ticket.name)
	return ticket.name


# --- tickets from messages --------------------------------------------------------------------------------


def ticket_from_intake(chat: str, state: dict, form: dict) -> str:
	"""The bot's intake form is complete: a NEW ticket for the chat; the conversation that led to it joins it."""
	description = (form.get("description") or "").strip()
	title = description.splitlines()[0][:TITLE_LENGTH] if description else f"{form.get('category') or 'Support'} request"
	details = form.get("details") or {}
	ticket = frappe.get_doc({
		"doctype": "Ticket",
		"title": title,
		"status": "NEW",
		"priority": form.get("priority") or "MEDIUM",
		"category": form.get("category"),
		"description": description,
		"details": "\n".join(f"{k}: {v}" for k, v in details.items()) or None,
		"chats": [{"chat": chat}],
		"customer_telegram_id": state.get("customer_telegram_id") or chat,
		"first_contact_at": state.get("first_contact_at"),
	})
	ticket.insert(ignore_permissions=True)
	frappe.db.sql(
		"update `tabTelegram Message` set ticket = %s where chat = %s and ticket is null and creation >= %s",
		(ticket.name, chat, state.get("first_contact_at") or ticket.creation),
	)
	return ticket.name


def ticket_from_message(message: str, title: str | None = None) -> str:
	"""A new ticket from a (flagged) message: its text as description, its sender's chat linked; the message
	moves to the ticket."""
	doc = frappe.get_doc("Telegram Message", message)
	text = (doc.text or "").strip()
	chats = [doc.chat]
	if doc.sender_id and doc.sender_id != doc.chat and frappe.db.exists("Linked Chat", doc.sender_id):
		chats.insert(0, doc.sender_id)
	ticket = frappe.get_doc({
		"doctype": "Ticket",
		"title": (title or (text.splitlines()[0] if text else f"Message from {doc.sender_name or doc.chat}"))[:TITLE_LENGTH],
		"description": text,
		"chats": [{"chat": c} for c in chats],
		"customer_telegram_id": doc.sender_id,
		"first_contact_at": doc.telegram_date,
	}).insert(ignore_permissions=True)
	set_message_ticket(doc, ticket.name)
	realtime.notify_ticket_changed(ticket.name)
	realtime.notify_conversation_changed([doc.ticket, ticket.name])
	return ticket.name


def move_message(message: str, ticket: str) -> dict:
	"""Moves a message logged on the wrong ticket (or flagged) to `ticket`, its content untouched."""
	if not ticket or not frappe.db.exists("Ticket", ticket):
		# The agent's pick, not the addressed resource: a validation message (417) the desk shows as it is.
		frappe.throw(_("Ticket {0} does not exist.").format(ticket or ""))
	doc = frappe.get_doc("Telegram Message", message)
	if doc.ticket == ticket:
		return {"message": doc.name, "ticket": ticket}
	set_message_ticket(doc, ticket)
	for name in filter(None, {doc.ticket, ticket}):
		realtime.notify_ticket_changed(name)
	realtime.notify_conversation_changed([doc.ticket, ticket])
	return {"message": doc.name, "ticket": ticket}


def set_message_ticket(message, ticket: str) -> None:
	"""The one way a stored message changes ticket: where it came from is kept, a flag is cleared."""
	frappe.db.set_value("Telegram Message", message.name, {
		"moved_from_ticket": message.ticket, "ticket": ticket, "flagged": 0, "flag_reason": None,
	})
