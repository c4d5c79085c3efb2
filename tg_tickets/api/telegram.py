"""Desk endpoints for Telegram messages: a ticket's conversation, moving a misplaced message or making a
ticket from it, and the admins' retry of inbox rows that failed. Replies go through `tg_tickets.api.send_reply`."""

import json

import frappe
from frappe import _

from tg_tickets import permissions
from tg_tickets.telegram import inbox
from tg_tickets.tickets import conversation as ticket_conversation
from tg_tickets.tickets import outage

CONVERSATION_LIMIT = 300
CONVERSATION_FIELDS = [
	"name", "direction", "chat", "sender_id", "sender_name", "agent", "is_agent_reply", "telegram_date", "creation",
	"text", "media_type", "media_meta", "attachments", "previous_text", "edit_history", "edited_at", "is_deleted",
	"deleted_at", "flagged", "flag_reason", "moved_from_ticket", "ticket", "status", "failure_reason", "sent_at",
	"next_attempt_at", "attempts", "part", "topic_id", "sentiment", "sentiment_scored",
]


def editable_message(name: str):
	if not frappe.db.exists("Telegram Message", name):
		frappe.throw(_("Telegram message {0} does not exist.").format(name), frappe.DoesNotExistError)
	if not permissions.can("write"):
		frappe.throw(_("You cannot change tickets."), frappe.PermissionError)
	return frappe.get_doc("Telegram Message", name)


@frappe.whitelist()
def conversation(ticket: str) -> dict:
	"""A ticket's Telegram conversation, oldest first, plus the flagged messages (outside any ticket) of its
	chats' people, which an agent may move here or turn into tickets."""
	doc = frappe.get_doc("Ticket", ticket)
	doc.check_permission("read")
	rows = frappe.get_list(
		"Telegram Message",
		filters={"ticket": ticket, "message_kind": "Message"},
		fields=CONVERSATION_FIELDS,
		order_by="creation desc, part desc, name desc",
		limit=CONVERSATION_LIMIT,
	)
	rows.reverse()
	chats = [row.chat for row in doc.chats]
	flagged = []
	if chats:
		flagged = frappe.get_list(
			"Telegram Message",
			filters={"flagged": 1, "ticket": ("is", "not set")},
			or_filters={"chat": ("in", chats), "sender_id": ("in", chats)},
			fields=CONVERSATION_FIELDS,
			order_by="creation asc",
			limit=50,
		)
	files = file_details([f for row in rows for f in json.loads(row.attachments or "[]")])
	for row in rows + flagged:
		row["files"] = [files.get(f, {"name": f}) for f in json.loads(row.pop("attachments") or "[]")]
		row["media"] = json.loads(row.pop("media_meta") or "null")
		row["edits"] = json.loads(row.pop("edit_history") or "[]")
		row["sentiment"] = row["sentiment"] if row.pop("sentiment_scored") else None
	ticket_files = frappe.get_all(
		"File", filters={"attached_to_doctype": "Ticket", "attached_to_name": ticket, "is_folder": 0},
		fields=["name", "file_name", "file_url", "file_size"], order_by="creation asc",
	)
	closed = doc.status == "CLOSED"
	can_write = frappe.has_permission("Ticket", "write", doc)
	return {
		"ticket": ticket,
		"messages": rows,
		"flagged": flagged,
		"truncated": len(rows) == CONVERSATION_LIMIT,
		"can_reply": bool(can_write and not closed),
		"can_move": bool(can_write),
		"can_create": permissions.can("create"),
		"closed": closed,
		"has_chat": bool(chats),
		"ticket_files": ticket_files,
		"sentiment": doc.get("sentiment") if doc.get("sentiment_trend") else None,
		"sentiment_trend": json.loads(doc.get("sentiment_trend") or "[]"),
	}


def file_details(names: list[str]) -> dict:
	if not names:
		return {}
	return {
		f.name: f
		for f in frappe.get_all(
			"File", filters={"name": ("in", list(set(names)))}, fields=["name", "file_name", "file_url", "file_size"]
		)
	}


@frappe.whitelist(methods=["POST"])
def move_message(message: str, ticket: str):
	"""Moves a message logged on the wrong ticket (or flagged) to `ticket`, its content untouched."""
	editable_message(message)
	if ticket and frappe.db.exists("Ticket", ticket):
		frappe.has_permission("Ticket", "write", ticket, throw=True)
	return ticket_conversation.move_message(message, ticket)


@frappe.whitelist(methods=["POST"])
def create_ticket_from_message(message: str, title: str | None = None):
	"""A flagged message becomes a new ticket; the message moves to it."""
	editable_message(message)
	if not permissions.can("create"):
		frappe.throw(_("You cannot create tickets."), frappe.PermissionError)
	return {"ticket": ticket_conversation.ticket_from_message(message, title), "message": message}


@frappe.whitelist(methods=["POST"])
def retry_failed_updates(names):
	"""Admins re-queue inbox rows (Telegram Update) that failed, e.g. after fixing the cause."""
	if not (permissions.can_see_tickets() and permissions.is_admin()):
		frappe.throw(_("Only ticket admins and owners may retry failed Telegram updates."), frappe.PermissionError)
	names = frappe.parse_json(names) if isinstance(names, str) else names
	if not isinstance(names, list) or not names:
		frappe.throw(_("Choose the failed updates to retry."))
	requeued = inbox.requeue_failed([str(n) for n in names][:1000])
	return {"requeued": requeued}


@frappe.whitelist()
def status() -> dict:
	"""Outage mode as the desk's banner shows it: active, since, affected areas, reason, queued replies."""
	if not permissions.can("read"):
		frappe.throw(_("You cannot see tickets."), frappe.PermissionError)
	return outage.status()


@frappe.whitelist(methods=["POST"])
def test_connection() -> dict:
	"""Tickets Settings → Test connection (admins and owners): {'status': 'OK' | 'Failed', 'message': what is wrong}."""
	from tg_tickets.telegram import connection

	if not permissions.is_admin():
		frappe.throw(_("Only Tickets Admins and Owners can test the Telegram connection."), frappe.PermissionError)
	return connection.test_and_record()
