"""Desk endpoints for faster answers: the reply box's `/` picker, filling a canned response for a ticket, the
preview of a formatted reply, article suggestions for a ticket, and sending an article as a URL button.
Replies with responses or article links go through `tg_tickets.api.send_reply` like every other reply."""

import frappe
from frappe import _

from tg_tickets import permissions
from tg_tickets.replies import knowledge_base, placeholders, responses
from tg_tickets.tickets import conversation, formatting


def readable_ticket(ticket: str):
	if not ticket or not frappe.db.exists("Ticket", ticket):
		frappe.throw(_("Ticket {0} does not exist.").format(ticket or ""), frappe.DoesNotExistError)
	doc = frappe.get_doc("Ticket", ticket)
	doc.check_permission("read")
	return doc


def replying_ticket(ticket: str):
	doc = readable_ticket(ticket)
	if not permissions.can_see_tickets() or not frappe.has_permission("Ticket", "write", doc):
		frappe.throw(_("You cannot reply on ticket #{0}.").format(ticket), frappe.PermissionError)
	return doc


@frappe.whitelist()
def search_responses(query: str = ""):
	"""The picker: responses the user sees whose shortcut starts with (or whose title contains) `query`."""
	if not permissions.can_see_tickets():
		frappe.throw(_("You cannot use canned responses."), frappe.PermissionError)
	return responses.search(query)


@frappe.whitelist()
def fill_response(ticket: str, response: str):
	"""A response filled for the ticket: text for the reply box and the placeholders still without a value."""
	doc = readable_ticket(ticket)
	responses.visible_responses([response], frappe.session.user)
	return responses.fill(frappe.get_doc("Canned Response", response), doc, frappe.session.user)


@frappe.whitelist(methods=["POST"])
def preview(text: str = ""):
	"""What the customer will read for a formatted reply: plain text and Telegram's entities, the placeholders
	still to fill, or why Telegram would refuse the formatting."""
	if not permissions.can_see_tickets():
		frappe.throw(_("You cannot reply to customers."), frappe.PermissionError)
	unfilled = placeholders.unfilled(text)
	try:
		result = formatting.parse(text).as_dict()
	except formatting.FormattingError as error:
		return {"text": text, "entities": [], "error": str(error), "unfilled": unfilled}
	result.update(error=None, unfilled=unfilled)
	return result


@frappe.whitelist()
def suggest_articles(ticket: str, draft: str = ""):
	"""Up to five Published articles for the ticket, refined by what the agent is typing."""
	return knowledge_base.suggest(readable_ticket(ticket), draft)


@frappe.whitelist()
def sent_articles(ticket: str):
	"""The articles already sent on the ticket (as a link or a button), newest first."""
	return knowledge_base.sent_on(readable_ticket(ticket).name)


@frappe.whitelist(methods=["POST"])
def send_article_button(ticket: str, article: str):
	"""Sends the article to the customer as a message with a Telegram URL button; the ticket records it."""
	doc = replying_ticket(ticket)
	found = knowledge_base.published_article(article)
	url = knowledge_base.article_url(found.route)
	result = conversation.queue_agent_reply(
		doc, found.title, agent=frappe.session.user, buttons=[[{"text": _("Open the article"), "url": url}]]
	)
	knowledge_base.record_sent(doc.name, [found.name], "Button", frappe.session.user, (result["messages"] or [None])[0])
	return result
