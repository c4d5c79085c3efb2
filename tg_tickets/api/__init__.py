"""Whitelisted endpoints, grouped by noun (ticket, chat, telegram); `tg_tickets.api.send_reply` is the
integrations' reply path. Every endpoint checks permissions, then calls the ticket services."""

import frappe
from frappe import _

from tg_tickets import permissions
from tg_tickets.api.telegram import create_ticket_from_message, move_message  # noqa: F401 - endpoints
from tg_tickets.replies import knowledge_base, placeholders, responses
from tg_tickets.tickets import conversation


@frappe.whitelist(methods=["POST"])
def send_reply(ticket: str, message: str = "", attachments=None, formatted=0, canned_responses=None):
	"""An agent's reply to the ticket's customer on Telegram: stored Queued now, delivered after commit.

	`formatted` (1): the message is Telegram HTML. `canned_responses`: the responses inserted into it (a JSON
	list of names), each counted once for this agent and day. A placeholder still in the text, or a link to a
	knowledge-base article that is not Published, refuses the reply; linked articles are recorded on the ticket."""
	if not ticket or not frappe.db.exists("Ticket", ticket):
		frappe.throw(_("Ticket {0} does not exist.").format(ticket or ""), frappe.DoesNotExistError)
	doc = frappe.get_doc("Ticket", ticket)
	# Replying speaks for the team: the same right as editing the ticket (members only with the switch on).
	if not permissions.can_see_tickets() or not frappe.has_permission("Ticket", "write", doc):
		frappe.throw(_("You cannot reply on ticket #{0}.").format(ticket), frappe.PermissionError)
	user = frappe.session.user
	used = frappe.parse_json(canned_responses) if isinstance(canned_responses, str) else canned_responses
	if used is not None and not isinstance(used, list):
		frappe.throw(_("canned_responses must be a list of canned response names."))
	used = responses.visible_responses([str(name) for name in used or []], user)
	unfilled = placeholders.unfilled(message)
	if unfilled:
		frappe.throw(
			_("Fill or remove the placeholders before sending: {0}").format(", ".join("{{" + n + "}}" for n in unfilled)),
			title=_("Placeholder without a value"),
		)
	articles = knowledge_base.linked_articles(message)
	result = conversation.queue_agent_reply(doc, message, attachments, user, formatted=str(formatted) in ("1", "true", "True"))
	responses.count_uses(used, user)
	knowledge_base.record_sent(doc.name, articles, "Link", user, (result["messages"] or [None])[0])
	return result
