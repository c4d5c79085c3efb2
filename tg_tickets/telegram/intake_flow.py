"""The bot's intake form in a private chat, around the pure state machine in intake.py: the session row per
chat, the categories admins configured, the bot's questions (outbox), and the ticket when the form is complete
(tg_tickets.tickets.conversation). Also `/status`. Runs in the inbox job's transaction; never commits."""

import json

import frappe

from tg_tickets.telegram import intake
from tg_tickets.telegram.records import InboundRecord
from tg_tickets.tickets import conversation, queries
from tg_tickets.tickets.outbox import queue_message


def categories() -> list[dict]:
	rows = frappe.get_all("Ticket Category", filters={"enabled": 1}, fields=["name"], order_by="sort_order asc, name asc")
	details = frappe.get_all(
		"Ticket Category Detail",
		filters={"parenttype": "Ticket Category"},
		fields=["parent", "label", "pattern", "error_message"],
		order_by="idx asc",
	)
	by_parent = {}
	for d in details:
		by_parent.setdefault(d.parent, []).append({"label": d.label, "pattern": d.pattern, "error_message": d.error_message})
	return [{"name": r.name, "details": by_parent.get(r.name, [])} for r in rows]


def is_intake_callback(data: str) -> bool:
	return data.startswith(intake.PREFIX)


def on_callback(chat: str, record: InboundRecord, data: str, received_at) -> None:
	"""A button of the form was pressed; a form whose session is gone has expired."""
	session = frappe.db.get_value("Telegram Intake Session", chat, "state")
	if session is None:
		queue_message(chat, "This form has expired. Send a message to start a new request.")
		return
	run(chat, record, {"data": data}, json.loads(session or "null"), received_at)


def run(chat: str, record: InboundRecord, event: dict, state: dict | None, received_at) -> None:
	"""One step of the form: the bot's answers are queued, a complete form becomes a ticket. `received_at`:
	when the record arrived, in the site's time zone (a new form's first contact)."""
	outcome = intake.advance(state, event, categories())
	if state is None and outcome.state is not None:
		outcome.state["first_contact_at"] = str(received_at)
		outcome.state["customer_telegram_id"] = str(record.sender_id or chat)
	if outcome.wants_status:
		send_status(chat)
	if outcome.ticket:
		ticket = conversation.ticket_from_intake(chat, state or {}, outcome.ticket)
		queue_message(chat, f"Thank you! Your ticket #{ticket} has been created. We will answer here.", ticket=ticket)
	for reply in outcome.replies:
		queue_message(chat, reply.text, buttons=reply.buttons or None)
	save_session(chat, outcome.state)


def save_session(chat: str, state: dict | None) -> None:
	exists = frappe.db.exists("Telegram Intake Session", chat)
	if state is None:
		if exists:
			frappe.delete_doc("Telegram Intake Session", chat, ignore_permissions=True, force=True)
		return
	if exists:
		frappe.db.set_value("Telegram Intake Session", chat, "state", json.dumps(state, ensure_ascii=False))
	else:
		frappe.get_doc({"doctype": "Telegram Intake Session", "chat": chat, "state": json.dumps(state, ensure_ascii=False)}).insert(
			ignore_permissions=True
		)


def send_status(chat: str) -> None:
	rows = queries.open_tickets_of_chat(chat)
	if not rows:
		queue_message(chat, "You have no open tickets. Send a message to open one.")
		return
	lines = [f"#{r.name} · {r.title} — {r.status}" for r in rows]
	queue_message(chat, "Your open tickets:\n" + "\n".join(lines))
