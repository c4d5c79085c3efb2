"""Customer ratings (CSAT), the Frappe-facing part: when a ticket closes (Tickets Settings: on/off, delay),
its customer gets signed 1–5 buttons (rating_buttons); a press is verified, stored once per ticket and
closing as a Ticket Rating with the assignee of that moment and mirrored on the ticket; the customer's next
message within the comment window is the rating's comment.

Messages go through the hub's outbox (conversation.message_customer); presses and comments arrive through
the BUTTON_PRESSED and CUSTOMER_REPLY_EXPECTED events. A pending request is a ticket's indexed
`rating_request_at`, swept every minute like auto-close; sending it clears it in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import frappe
from frappe import _
from frappe.utils import cint, get_datetime, now_datetime
from frappe.utils.password import get_encryption_key

from tg_tickets.lifecycle import rating_buttons
from tg_tickets.tickets import conversation, events, queries, realtime
from tg_tickets.tickets.fields import CLOSED

BATCH = 5000


def settings():
	return frappe.get_cached_doc("Tickets Settings")


def secret() -> bytes:
	"""The site's own secret (its encryption key), narrowed to this purpose."""
	return hmac.new(get_encryption_key().encode(), b"tg_tickets rating buttons", hashlib.sha256).digest()


# --- asking ----------------------------------------------------------------------------------------------


def before_ticket_save(ticket, method=None) -> None:
	"""Closing schedules the request (if ratings are on); reopening before it went out cancels it."""
	before = None if ticket.is_new() else ticket.get_doc_before_save()
	previous = before.status if before else None
	if previous == ticket.status:
		return
	ticket.rating_request_at = None
	if ticket.status == CLOSED and cint(settings().ratings_enabled):
		ticket.rating_request_at = now_datetime() + timedelta(minutes=cint(settings().rating_delay_minutes))


def after_ticket_save(ticket, method=None) -> None:
	"""Without a delay the request goes out with the close itself."""
	if ticket.rating_request_at and get_datetime(ticket.rating_request_at) <= now_datetime():
		send_request(ticket.name)


def on_tickets_closed(before: dict, closed: dict, now) -> None:
	"""TICKETS_CLOSED_BY_SYSTEM: `before_ticket_save` and `after_ticket_save` on a close, for all of them — the
	request scheduled when ratings are on, and sent at once without a delay."""
	at = now + timedelta(minutes=cint(settings().rating_delay_minutes)) if cint(settings().ratings_enabled) else None
	frappe.db.sql("update `tabTicket` set rating_request_at = %s where name in %s", (at, tuple(before)))
	if at and at <= now_datetime():
		for name in sorted(before):
			send_request(name)


def send_request(ticket_name: str) -> list[str]:
	ticket = frappe.db.get_value("Ticket", ticket_name, ["status", "reopen_count", "title"], as_dict=True)
	frappe.db.set_value("Ticket", ticket_name, "rating_request_at", None, update_modified=False)
	if not ticket or ticket.status != CLOSED:
		return []
	text = _("Ticket #{0} ({1}) is closed. How did we do? Rate us from 1 (poor) to 5 (excellent).").format(
		ticket_name, ticket.title)
	return conversation.message_customer(
		ticket_name, text, buttons=rating_buttons.buttons(secret(), ticket_name, cint(ticket.reopen_count)))


def due_requests(now=None, limit: int = BATCH) -> list[str]:
	return frappe.db.sql(
		"select name from `tabTicket` where rating_request_at <= %s order by rating_request_at limit %s",
		(now or now_datetime(), limit), pluck=True,
	)


def run(now=None) -> int:
	"""Scheduler entry point (every minute): delayed rating requests now due, in one job."""
	names = due_requests(now)
	if names:
		frappe.enqueue("tg_tickets.lifecycle.ratings.process_requests", queue="short", names=names,
			job_id=f"tg-rating-requests:{hashlib.sha1(','.join(names).encode()).hexdigest()[:16]}",
			deduplicate=True, enqueue_after_commit=True)
	return len(names)


def process_requests(names: list[str], now=None) -> list[str]:
	"""RQ job: each ticket still due (row locked) gets its request once; returns the tickets asked."""
	now = now or now_datetime()
	due = frappe.db.sql(
		"select name from `tabTicket` where name in %(names)s and rating_request_at <= %(now)s order by name for update",
		{"names": tuple(names), "now": now}, pluck=True,
	) if names else []
	for name in due:
		send_request(name)
	frappe.db.commit()  # a background job, not a controller
	return due


# --- the customer's answer -------------------------------------------------------------------------------


def on_button_pressed(chat: str, data: str, sender_id: str) -> str | None:
	if not rating_buttons.is_rating(data):
		return None
	rating = rating_buttons.verify(secret(), data)
	if rating is None:
		return _("This rating button is not valid.")
	if chat not in queries.chats_of_tickets([rating.ticket]).get(rating.ticket, []):
		return _("This rating button does not belong to a ticket of this chat.")
	ticket = frappe.db.get_value("Ticket", rating.ticket, ["status", "reopen_count", "assigned_to"], as_dict=True)
	if ticket.status != CLOSED:
		return _("Ticket #{0} is open again; you can rate it once it is closed.").format(rating.ticket)
	if cint(ticket.reopen_count) != rating.cycle:
		return _("This rating button is from an earlier closing of ticket #{0}.").format(rating.ticket)
	now = now_datetime()
	record = frappe.get_doc({
		"doctype": "Ticket Rating", "ticket": rating.ticket, "cycle": rating.cycle, "rating": rating.score,
		"assignee": ticket.assigned_to, "rated_at": now, "chat": chat,
		"comment_until": now + timedelta(minutes=cint(settings().rating_comment_minutes)),
	})
	frappe.db.savepoint("tg_rating")  # a second press undoes only itself, not the inbox batch's other work
	try:
		record.insert(ignore_permissions=True, set_name=f"{rating.ticket}-{rating.cycle}")
	except frappe.DuplicateEntryError:
		frappe.db.rollback(save_point="tg_rating")
		frappe.clear_last_message()
		return _("You already rated ticket #{0}. Thank you!").format(rating.ticket)
	frappe.db.set_value("Ticket", rating.ticket, {
		"rating": rating.score, "rated_assignee": ticket.assigned_to, "rated_at": now, "rating_comment": None,
	}, update_modified=False)
	frappe.get_doc("Ticket", rating.ticket).add_comment("Info", _("The customer rated this ticket {0}/5").format(rating.score))
	if ticket.assigned_to:
		events.emit(events.NOTIFY_AGENTS, "Rating received", rating.ticket,
			{ticket.assigned_to: _("The customer rated ticket #{0}: {1} ★").format(rating.ticket, rating.score)})
	realtime.notify_ticket_changed(rating.ticket)
	if cint(settings().rating_comment_minutes):
		conversation.message_customer(rating.ticket, _(
			"Thank you for rating ticket #{0}: {1} ★. Anything to add? Your next message here goes to the team as "
			"a comment on your rating.").format(rating.ticket, rating.score))
	return _("Thank you for your rating!")


def on_customer_reply(chat: str, text: str) -> str | None:
	"""CUSTOMER_REPLY_EXPECTED: the chat's newest rating still waiting for a comment takes the message."""
	found = frappe.db.sql(
		"""select name, ticket from `tabTicket Rating` where chat = %s and comment_until > %s
		order by comment_until desc limit 1""",
		(chat, now_datetime()), as_dict=True,
	)
	if not found or not (text or "").strip():
		return None
	name, ticket = found[0].name, found[0].ticket
	comment = text.strip()
	frappe.db.set_value("Ticket Rating", name, {"comment": comment, "comment_until": None})
	frappe.db.set_value("Ticket", ticket, "rating_comment", comment, update_modified=False)
	frappe.get_doc("Ticket", ticket).add_comment("Info", _("The customer's comment on their rating: {0}").format(comment))
	conversation.message_customer(ticket, _("Thank you, we passed your comment on to the team."))
	realtime.notify_ticket_changed(ticket)
	return ticket


def on_ticket_trash(ticket, method=None) -> None:
	"""A ticket's ratings go with it."""
	frappe.db.delete("Ticket Rating", {"ticket": ticket.name})
