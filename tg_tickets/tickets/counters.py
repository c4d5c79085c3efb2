"""Denormalised counters kept exact: comment_count/last_comment and file_count on Ticket,
ticket_count on Linked Chat.

Each is recomputed from the source rows (never incremented), under a lock on the owning row taken before
the change, so concurrent writers serialise per ticket and a count can never drift.
"""

import frappe
from frappe.utils import strip_html

from tg_tickets.tickets.realtime import notify_ticket_changed

PREVIEW_LENGTH = 140


def refresh_comment_stats(ticket_name: str) -> None:
	stats = frappe.db.sql(
		"""select count(*) as n,
			(select content from `tabComment`
			 where reference_doctype = 'Ticket' and reference_name = %(t)s and comment_type = 'Comment'
			 order by creation desc, name desc limit 1) as latest
		from `tabComment`
		where reference_doctype = 'Ticket' and reference_name = %(t)s and comment_type = 'Comment'
		lock in share mode""",
		{"t": ticket_name},
		as_dict=True,
	)[0]
	preview = strip_html(stats.latest or "").strip()
	if len(preview) > PREVIEW_LENGTH:
		preview = preview[: PREVIEW_LENGTH - 1] + "…"
	frappe.db.sql(
		"update `tabTicket` set comment_count = %s, last_comment = %s where name = %s",
		(stats.n, preview or None, ticket_name),
	)
	notify_ticket_changed(ticket_name)


def refresh_file_count(ticket_name: str) -> None:
	frappe.db.sql(
		"""update `tabTicket` set file_count = (
			select count(*) from `tabFile`
			where attached_to_doctype = 'Ticket' and attached_to_name = %(t)s and ifnull(is_folder, 0) = 0
		) where name = %(t)s""",
		{"t": ticket_name},
	)
	notify_ticket_changed(ticket_name)


def count_files(ticket_name: str) -> int:
	return frappe.db.sql(
		"""select count(*) from `tabFile`
		where attached_to_doctype = 'Ticket' and attached_to_name = %s and ifnull(is_folder, 0) = 0
		lock in share mode""",
		(ticket_name,),
	)[0][0]


def refresh_chat_ticket_counts(chat_names) -> None:
	"""Recount tickets per chat; called with the chats a ticket gained or lost."""
	for chat in sorted(set(filter(None, chat_names))):  # sorted: a stable lock order between writers
		frappe.db.sql(
			"""update `tabLinked Chat` set ticket_count = (
				select count(distinct parent) from `tabTicket Chat`
				where chat = %(c)s and parenttype = 'Ticket' and parentfield = 'chats'
			) where name = %(c)s""",
			{"c": chat},
		)


def forget_tickets_in_chat_counts(ticket_names: list[str]) -> None:
	"""Tickets about to be purged leave their chats' counts: subtracted, not recounted — a recount reads every
	ticket of a chat, so purging a busy group's 100,000 tickets in batches read it again each batch (the
	purge's largest cost, measured in benchmarks/retention.py). Called before the Ticket Chat rows go."""
	if not ticket_names:
		return
	names = ", ".join(frappe.db.escape(n) for n in ticket_names)
	frappe.db.sql(
		f"""update `tabLinked Chat` c join (
			select chat, count(distinct parent) n from `tabTicket Chat`
			where parenttype = 'Ticket' and parentfield = 'chats' and parent in ({names}) group by chat
		) gone on gone.chat = c.name
		set c.ticket_count = greatest(ifnull(c.ticket_count, 0) - gone.n, 0)"""
	)
