"""Chat ↔ ticket lookups, written once. A ticket's chats are its `Ticket Chat` rows (parentfield `chats`);
every query that joins them uses TICKET_CHATS so none forgets the parent type or field. Read-only; no
permission checks (callers that serve users read through permission-checked queries or check first)."""

import frappe
from frappe.utils import now_datetime

from tg_tickets.tickets.fields import CLOSED, SOLVED

# `t` is the Ticket, `c` its chat rows.
TICKET_CHATS = "join `tabTicket Chat` c on c.parent = t.name and c.parenttype = 'Ticket' and c.parentfield = 'chats'"


def current_tickets(chats) -> dict[str, tuple[str, str]]:
	"""Per chat, the ticket its next message belongs to: its newest open ticket, else its newest SOLVED one,
	else its newest CLOSED one still inside its reopen window (a reply reopens either); (name, status). Chats
	with none of these are absent."""
	chats = tuple({str(c) for c in chats if c})
	if not chats:
		return {}
	rows = frappe.db.sql(
		f"""select c.chat, t.name, t.status from `tabTicket` t {TICKET_CHATS}
		where c.chat in %s and (t.status != %s or t.reopen_until > %s)
		order by t.status = %s desc, t.status = %s desc, t.creation""",
		(chats, CLOSED, now_datetime(), CLOSED, SOLVED),
	)
	found = {}
	# last one wins: closed ones first, then SOLVED ones, then open ones, each oldest to newest
	for chat, ticket, status in rows:
		found[chat] = (ticket, status)
	return found


def closed_ticket_to_follow_up(chat: str) -> str | None:
	"""The chat's newest ticket when it is CLOSED under an auto-close rule (past its reopen window): a new
	message from the chat opens a follow-up ticket linked to it. None when the newest ticket is not such."""
	row = frappe.db.sql(
		f"""select t.name, t.status, t.auto_close_rule from `tabTicket` t {TICKET_CHATS}
		where c.chat = %s order by t.creation desc limit 1""",
		(str(chat),),
	)
	if row and row[0][1] == CLOSED and row[0][2]:
		return row[0][0]
	return None


def current_ticket(chat: str) -> tuple[str, str] | None:
	return current_tickets([chat]).get(str(chat))


def open_tickets_of_chat(chat: str, limit: int = 20) -> list[dict]:
	"""A chat's tickets that are not closed, newest first (name, title, status): what `/status` lists."""
	return frappe.db.sql(
		f"""select t.name, t.title, t.status from `tabTicket` t {TICKET_CHATS}
		where c.chat = %s and t.status != %s order by t.creation desc limit %s""",
		(chat, CLOSED, limit),
		as_dict=True,
	)


def tickets_of_chat(chat: str, limit: int = 5) -> list[str]:
	"""Some tickets linked to a chat (any status): enough to name them when the chat cannot be deleted."""
	return frappe.db.sql_list(
		f"select distinct t.name from `tabTicket` t {TICKET_CHATS} where c.chat = %s limit %s", (chat, limit)
	)


def chats_of_tickets(tickets) -> dict[str, list[str]]:
	"""Each ticket's chat ids, in the ticket's order."""
	tickets = tuple(tickets)
	found: dict[str, list[str]] = {}
	if not tickets:
		return found
	for ticket, chat in frappe.db.sql(
		f"select t.name, c.chat from `tabTicket` t {TICKET_CHATS} where t.name in %s order by c.idx", (tickets,)
	):
		found.setdefault(ticket, []).append(chat)
	return found


def chat_types(chats) -> dict[str, str]:
	chats = list({str(c) for c in chats if c})
	if not chats:
		return {}
	return dict(frappe.get_all("Linked Chat", filters={"name": ["in", chats]}, fields=["name", "chat_type"], as_list=True))


def ticket_for_topic(group: str, topic_id: int) -> str | None:
	"""The ticket mirrored into this forum topic of the Topic Group."""
	return frappe.db.get_value("Ticket", {"topic_group": group, "topic_id": topic_id}, "name")


def ticket_of_message(chat: str, message_id: int) -> str | None:
	"""The ticket a stored message of this chat belongs to (a reply to it joins that ticket)."""
	return frappe.db.get_value("Telegram Message", {"chat": chat, "message_id": message_id}, "ticket")


def customer_chat(ticket) -> dict | None:
	"""The customer's own chat (title = their name, username): the chat of `customer_telegram_id`, else the
	ticket's first private chat. None for a ticket with neither."""
	candidates = [str(ticket.get("customer_telegram_id") or "")] + [row.chat for row in ticket.get("chats") or []]
	candidates = [c for c in candidates if c]
	if not candidates:
		return None
	rows = {
		row.name: row
		for row in frappe.get_all(
			"Linked Chat", filters={"name": ["in", candidates]}, fields=["name", "title", "username", "chat_type"]
		)
	}
	if candidates[0] in rows and candidates[0] == str(ticket.get("customer_telegram_id") or ""):
		return rows[candidates[0]]
	for chat in candidates:
		if chat in rows and rows[chat].chat_type == "Private":
			return rows[chat]
	return None


def latest_customer_texts(ticket: str, limit: int = 3) -> list[str]:
	"""The customer's newest message texts on a ticket, newest first."""
	return frappe.db.sql_list(
		"""select text from `tabTelegram Message` where ticket = %s and direction = 'Incoming'
		and ifnull(text, '') != '' order by creation desc limit %s""",
		(ticket, limit),
	)
