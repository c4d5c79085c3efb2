"""Erasure requests: a Telegram user asked to be forgotten. Everything about them goes, across tickets:
tickets of their private chat (deleted or anonymised, as the request says), their own messages in group chats
(text, name, payload, files), rating comments, their Linked Chat, what the Telegram edge cached about them
(intake session, Telethon's entity cache: username, phone, name) and the raw updates from their chat.
The request and its Retention Run record stay (who asked, when, what was counted) without the data.
"""

from __future__ import annotations

import re
from collections import Counter

import frappe
from frappe import _

from tg_tickets.privacy import retention
from tg_tickets.tickets import purge

REQUEST = "Erasure Request"


def validate_request(request):
	"""Erasure Request controller: a Telegram user id is a number (negative ids are groups, not people)."""
	request.telegram_user_id = (request.telegram_user_id or "").strip()
	if not re.fullmatch(r"[1-9][0-9]{0,19}", request.telegram_user_id):
		frappe.throw(_("A Telegram user id is a positive number (e.g. 123456789)."), title=_("Erasure request"))
	if request.is_new():
		request.requested_by = frappe.session.user
		request.status = "Pending"
	elif request.get_doc_before_save() and request.get_doc_before_save().status == "Done":
		frappe.throw(_("This erasure request was carried out already."), title=_("Erasure request"))


def erase(request_name: str) -> str:
	"""Carries out the request (one transaction per batch of tickets); returns its Retention Run."""
	request = frappe.get_doc(REQUEST, request_name)
	if request.status == "Done":
		frappe.throw(_("This erasure request was carried out already."), title=_("Erasure request"))
	user_id = request.telegram_user_id
	run = retention._record(
		request, dry_run=False, matched=0, processed=0, counts=Counter(), status="Running", kind="Erasure Request"
	)
	frappe.db.commit()
	counts = Counter()
	own_tickets = frappe.db.sql_list(
		"select distinct parent from `tabTicket Chat` where chat = %s and parenttype = 'Ticket'", (user_id,)
	)
	frappe.flags.tg_tickets_purging = True
	try:
		for start in range(0, len(own_tickets), 500):
			batch = own_tickets[start : start + 500]
			counts += purge.delete_tickets(batch) if request.action == "Delete" else purge.anonymise_tickets(batch)
			frappe.db.commit()
		counts += purge.erase_customer_messages(user_id)
		counts += purge.forget_telegram_users([user_id])
		counts += purge.delete_chat(user_id)
	finally:
		frappe.flags.tg_tickets_purging = False
	frappe.db.set_value(
		REQUEST, request.name, {"status": "Done", "processed_at": frappe.utils.now_datetime(), "retention_run": run}
	)
	retention._finish(run, len(own_tickets), len(own_tickets), counts, "Done")
	frappe.db.commit()
	return run


def refuse_delete_when_done(request):
	"""A carried-out request is the record that the customer was forgotten: it stays."""
	if request.status == "Done":
		frappe.throw(_("A carried-out erasure request is kept as its record."), frappe.PermissionError)
