"""Forum topics: one topic per ticket in the configured Topic Group, titled `#ID · title`.

Topic changes are outbox rows in the group's queue (so they keep their order with the posts), created from
ticket events; a topic is created lazily by the delivery of the first post into it, and recreated when it
was deleted by hand. Near the configured capacity, topics of closed tickets are archived, oldest first.
Never calls Telegram itself: it queues, and `ensure_topic_for_delivery` runs inside delivery only.
"""

import frappe
from frappe.utils import format_datetime

from tg_tickets.telegram import gateway
from tg_tickets.tickets.fields import CLOSED
from tg_tickets.tickets.message_text import split_text, topic_title
from tg_tickets.tickets.outbox import MESSAGE_EDIT, new_random_id, queue_many, queue_message

LIVE_STATES = ("Open", "Closed")
# The Claim button under a ticket's topic header ("tk:c:" + the ticket's code: far below Telegram's 64 bytes).
CLAIM_PREFIX = "tk:c:"
NEAR_CAPACITY = 0.95  # start archiving at 95 % of the capacity ...
ARCHIVE_TO = 0.90  # ... down to 90 %, so archiving runs in batches, not on every new topic


def topic_group() -> str | None:
	return frappe.get_cached_doc("Tickets Settings").topic_group_chat or None


def intro_text(ticket) -> str:
	first_contact = ticket.first_contact_at or ticket.creation
	return "\n".join([
		f"Ticket #{ticket.name} · {ticket.title}",
		f"Customer Telegram ID: {ticket.customer_telegram_id or '-'}",
		f"First contact: {format_datetime(first_contact) if first_contact else '-'}",
		holder_line(ticket),
		"",
		ticket.description or "",
	]).strip()


def holder_line(ticket) -> str:
	if ticket.assigned_to:
		return f"Held by: {frappe.utils.get_fullname(ticket.assigned_to)}"
	return f"Waiting in the {ticket.team} queue: press Claim to take it" if ticket.get("team") else "Unassigned"


def claim_buttons(ticket) -> list | None:
	"""The Claim button, while the ticket waits unassigned in a team's queue."""
	if ticket.get("team") and not ticket.assigned_to and ticket.status != CLOSED:
		return [[("Claim", CLAIM_PREFIX + ticket.name)]]
	return None


def on_ticket_insert(ticket, method=None) -> None:
	"""A new ticket gets its topic: queue its first post (the header, with Claim while the ticket waits in a
	queue); the delivery creates the topic before it."""
	group = topic_group()
	if not group:
		return
	queue_message(group, intro_text(ticket), ticket=ticket.name, into_topic=True, buttons=claim_buttons(ticket))


def header_message(ticket_name: str, group: str) -> str | None:
	"""The outgoing row of the ticket's topic header (the first part of its first post)."""
	rows = frappe.db.sql(
		"""select name from `tabTelegram Message`
		where ticket = %s and chat = %s and direction = 'Outgoing' and message_kind = 'Message' and part = 0
			and text like %s
		order by creation, name limit 1""",
		(ticket_name, str(group), f"Ticket #{ticket_name} ·%"),
	)
	return rows[0][0] if rows else None


def on_ticket_assigned(ticket, previous: str | None, reason: str | None) -> None:
	"""TICKET_ASSIGNED handler: the topic's header is edited to say who holds the ticket now (its Claim button
	goes, or comes back when the ticket returns to the queue), and a post under it says who took it and why."""
	group = ticket.topic_group or topic_group()
	if not group or ticket.flags.in_insert:  # a new ticket's header already says who holds it
		return
	header = header_message(ticket.name, group)
	if header:
		queue_message(group, split_text(intro_text(ticket))[0], ticket=ticket.name, kind=MESSAGE_EDIT,
			buttons=claim_buttons(ticket), extra={"edit_of": header})
	if ticket.assigned_to:
		text = f"Held by {frappe.utils.get_fullname(ticket.assigned_to)}" + (f" ({reason})" if reason else "")
	else:
		text = "Back in the queue, unassigned" + (f" ({reason})" if reason else "")
	queue_message(group, text, ticket=ticket.name, into_topic=True)


def on_ticket_update(ticket, method=None) -> None:
	"""Closing a ticket closes its topic; reopening it reopens the topic."""
	before = ticket.get_doc_before_save()
	group = ticket.topic_group or topic_group()
	if not before or not group or before.status == ticket.status:
		return
	if ticket.status == CLOSED and before.status != CLOSED:
		queue_message(group, "", ticket=ticket.name, kind="Topic Close", into_topic=True)
	elif before.status == CLOSED and ticket.status != CLOSED:
		queue_message(group, "", ticket=ticket.name, kind="Topic Reopen", into_topic=True)


def on_tickets_closed(before: dict, closed: dict, now) -> None:
	"""TICKETS_CLOSED_BY_SYSTEM: `on_ticket_update` for all of them — each ticket's topic is closed."""
	default = topic_group()
	queue_many([
		{"chat": row.topic_group or default, "text": "", "ticket": name, "kind": "Topic Close", "into_topic": True}
		for name, row in sorted(before.items()) if row.topic_group or default
	])


def mirror(ticket_name: str, text: str) -> None:
	group = topic_group()
	if group and text:
		queue_message(group, text, ticket=ticket_name, into_topic=True)


def mirror_agent_reply(ticket, message: str, user: str) -> None:
	"""AGENT_REPLY_QUEUED handler: the desk's reply shows in the ticket's topic."""
	mirror(ticket.name, f"{frappe.utils.get_fullname(user)} (desk): {message}")


def mirror_customer_message(ticket_name: str, sender: str | None, text: str) -> None:
	"""CUSTOMER_MESSAGE_ADDED handler: the customer's message shows in the ticket's topic."""
	mirror(ticket_name, f"{sender or 'Customer'}: {text}")


async def ensure_topic_for_delivery(ticket_name: str, transport) -> None:
	"""Creates the ticket's topic when it has none (new ticket, or deleted by hand) before posting into it."""
	row = frappe.db.get_value("Ticket", ticket_name, ["title", "topic_id", "topic_state", "topic_group"], as_dict=True)
	if row is None:
		raise gateway.PermanentFailure(f"ticket {ticket_name} no longer exists")
	if row.topic_id and row.topic_state in LIVE_STATES:
		return
	group = row.topic_group or topic_group()
	if not group:
		raise gateway.PermanentFailure("no Topic Group is configured")
	result = await transport.execute({
		"method": "create_topic", "chat_id": group, "title": topic_title(ticket_name, row.title),
		"random_id": new_random_id(),
	})
	frappe.db.set_value("Ticket", ticket_name, {"topic_group": group, "topic_id": result.get("topic_id"), "topic_state": "Open"}, update_modified=False)
	archive_if_near_capacity(group)
	frappe.db.commit()


def forget_topic(ticket_name: str | None) -> None:
	"""The topic is gone (deleted by hand): the next post recreates it."""
	if ticket_name:
		frappe.db.set_value("Ticket", ticket_name, {"topic_id": 0, "topic_state": ""}, update_modified=False)


def after_sent(row, result: dict) -> None:
	"""Topic state follows the topic requests Telegram accepted."""
	if not row.ticket:
		return
	state = {"Topic Close": "Closed", "Topic Reopen": "Open", "Topic Delete": "Archived"}.get(row.message_kind)
	if state:
		frappe.db.set_value("Ticket", row.ticket, "topic_state", state, update_modified=False)


def count_topics(group: str) -> int:
	return frappe.db.count("Ticket", {"topic_group": group, "topic_state": ["in", LIVE_STATES]})


def archive_if_near_capacity(group: str) -> list[str]:
	"""Queues the deletion of closed tickets' topics, oldest closed first, when the group is nearly full."""
	capacity = frappe.get_cached_doc("Tickets Settings").topic_capacity or 0
	if capacity <= 0:
		return []
	count = count_topics(group)
	if count < capacity * NEAR_CAPACITY:
		return []
	excess = count - int(capacity * ARCHIVE_TO)
	oldest = frappe.get_all(
		"Ticket",
		filters={"topic_group": group, "topic_state": ["in", LIVE_STATES], "status": CLOSED},
		fields=["name", "topic_id"],
		order_by="closed_at asc, creation asc",
		limit=max(excess, 0),
	)
	for ticket in oldest:
		# Marked now so that concurrent deliveries do not queue the same archive twice.
		frappe.db.set_value("Ticket", ticket.name, "topic_state", "Archived", update_modified=False)
		queue_message(group, "", ticket=ticket.name, kind="Topic Delete", topic_id=ticket.topic_id)
	return [t.name for t in oldest]
