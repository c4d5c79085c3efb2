"""SLA e-mail: one digest per recipient, written straight into Frappe's Email Queue with the SLA job's claims.

`frappe.sendmail` renders every message through Frappe's standard template and inlines its whole stylesheet
(a few hundred milliseconds per message here), which would dominate a sweep's jobs. A digest is a short
list of links, so it gets a small template with inline styles (one render per recipient), a MIME message
built by the standard library, and one bulk insert for the queue rows and one for their recipients.
Frappe's e-mail queue then sends them as it sends any other mail (SMTP, retries, mute_emails).

This module never decides who is notified or when (tg_tickets.sla.notify does) and never commits.
"""

from __future__ import annotations

import email.utils
import functools
from collections.abc import Iterable
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import jinja2

import frappe
from frappe import _
from frappe.utils import get_url, get_url_to_form

from tg_tickets.tickets import bulk


@functools.cache
def template() -> jinja2.Template:
	"""A plain Jinja environment: Frappe's (render_template) imports its whole safe_exec sandbox on first use,
	half a second in every RQ job; this template needs no Frappe filters."""
	return jinja2.Environment(
		loader=jinja2.FileSystemLoader(str(Path(__file__).resolve().parent.parent / "templates" / "emails")),
		autoescape=True,
	).get_template("sla_digest.html")


QUEUE_FIELDS = [
	"name", "sender", "message", "status", "message_id",
	"reference_doctype", "reference_name", "send_after", "priority", "add_unsubscribe_link", "show_as_cc",
	"attachments", "retry", "email_account",
]
RECIPIENT_FIELDS = [
	"name", "parent", "parenttype", "parentfield", "idx",
	"recipient", "status",
]


def queue_digests(alerts_by_user: dict[str, list[tuple[str, str]]]) -> int:
	"""Queues one e-mail per user with an e-mail address: their (ticket, subject) alerts. Returns e-mails queued.

	A site without an outgoing account gets none: the desk notification stands, so an SLA event is never
	lost over a missing mail setup."""
	if not alerts_by_user:
		return 0
	# Imported here: it pulls in Frappe's whole mail stack (~0.1 s), paid by every RQ job that imports us.
	from frappe.email.doctype.email_account.email_account import EmailAccount

	account = EmailAccount.find_outgoing(match_by_doctype="Ticket")
	if not account:
		frappe.logger("tg_tickets.sla").warning("SLA e-mail skipped: no outgoing e-mail account")
		return 0
	addresses = dict(
		frappe.db.sql("select name, email from `tabUser` where name in %s and ifnull(email, '') != ''", (tuple(alerts_by_user),))
	)
	account_name = account.name if account.is_exists_in_db() else None
	sender = account.default_sender
	site_url = get_url()
	queue_rows, recipient_rows = [], []
	for user, alerts in alerts_by_user.items():
		if not addresses.get(user):
			continue
		message_id = email.utils.make_msgid(domain=frappe.local.site)
		subject = alerts[0][1] if len(alerts) == 1 else _("{0} SLA alerts on your tickets").format(len(alerts))
		name = frappe.generate_hash(length=12)
		queue_rows.append((
			name, sender,
			mime_message(sender, addresses[user], subject, message_id, alerts, site_url), "Not Sent",
			message_id.strip("<>"), "Ticket", alerts[0][0] if len(alerts) == 1 else None, None, 1, 0, "", "[]", 0,
			account_name,
		))
		recipient_rows.append((
			frappe.generate_hash(length=12), name, "Email Queue",
			"recipients", 1, addresses[user], "Not Sent",
		))
	if queue_rows:
		bulk.insert_rows("Email Queue", QUEUE_FIELDS, queue_rows)
		bulk.insert_rows("Email Queue Recipient", RECIPIENT_FIELDS, recipient_rows)
	return len(queue_rows)


def mime_message(sender: str, to: str, subject: str, message_id: str, alerts: Iterable[tuple[str, str]], site_url: str) -> str:
	"""The whole message as Frappe's queue stores it: text and HTML alternatives. The classic MIME classes,
	as Frappe's own e-mail uses: the newer EmailMessage API costs several times as much per message."""
	links = [(get_url_to_form("Ticket", ticket), text) for ticket, text in alerts]
	message = MIMEMultipart("alternative")
	message["From"] = sender
	message["To"] = to
	message["Subject"] = Header(subject, "utf-8")
	message["Date"] = email.utils.formatdate(localtime=True)
	message["Message-Id"] = message_id
	message.attach(MIMEText("\n".join(f"- {text}\n  {url}" for url, text in links) + "\n", "plain", "utf-8"))
	html = template().render(subject=subject, links=links, footer=_("Sent by the SLA notifications of {0}").format(site_url))
	message.attach(MIMEText(html, "html", "utf-8"))
	return message.as_string()
