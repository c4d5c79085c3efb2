"""Comments and files on tickets (Frappe's Comment and File doctypes, wired through doc_events).

Before a comment or file is stored the ticket row is locked and checked open; after it is stored or
removed the ticket's counters are recomputed. A closed ticket takes neither.
"""

import frappe
from frappe import _

from tg_tickets.tickets import counters
from tg_tickets.tickets.lifecycle import assert_open_for_activity

MAX_FILES_PER_TICKET = 3
MAX_FILE_BYTES = 5 * 1024 * 1024


def _is_ticket_comment(comment) -> bool:
	return comment.reference_doctype == "Ticket" and comment.comment_type == "Comment" and comment.reference_name


def _is_ticket_file(file) -> bool:
	return file.attached_to_doctype == "Ticket" and file.attached_to_name and not file.is_folder


# --- Comment ------------------------------------------------------------------------------------------


def before_comment_insert(comment, method=None):
	if _is_ticket_comment(comment):
		assert_open_for_activity(comment.reference_name, _("comments"))


def before_comment_save(comment, method=None):
	if _is_ticket_comment(comment) and not comment.is_new():
		assert_open_for_activity(comment.reference_name, _("comment edits"))


def after_comment_change(comment, method=None):
	if _is_ticket_comment(comment):
		counters.refresh_comment_stats(comment.reference_name)


def before_comment_delete(comment, method=None):
	if _is_ticket_comment(comment):
		# Lock first so concurrent comment writers recount in turn.
		frappe.db.sql("select name from `tabTicket` where name = %s for update", (comment.reference_name,))


# --- File ---------------------------------------------------------------------------------------------


def before_file_insert(file, method=None):
	"""Runs after File wrote the content (it is removed again on rollback), so the size is known."""
	if not _is_ticket_file(file):
		return
	assert_open_for_activity(file.attached_to_name, _("files"))
	size = file.file_size or len(file.get_content() or b"")
	if size > MAX_FILE_BYTES:
		frappe.throw(
			_("{0} is {1} MB; a ticket file may be at most 5 MB.").format(
				frappe.bold(file.file_name), round(size / 1048576, 1)
			),
			title=_("File too large"),
		)
	if counters.count_files(file.attached_to_name) >= MAX_FILES_PER_TICKET:
		frappe.throw(
			_("Ticket #{0} already has {1} files, the most a ticket may have.").format(
				file.attached_to_name, MAX_FILES_PER_TICKET
			),
			title=_("Too many files"),
		)


def after_file_change(file, method=None):
	if _is_ticket_file(file):
		counters.refresh_file_count(file.attached_to_name)


def before_file_delete(file, method=None):
	if _is_ticket_file(file):
		assert_open_for_activity(file.attached_to_name, _("file removals"))
