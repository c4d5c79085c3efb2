"""Knowledge Base Article Send: an article sent on a ticket (as a link in a reply or as a Telegram URL button),
written by tg_tickets/replies/knowledge_base.py with the reply. Visible only while its ticket is."""

import frappe
from frappe.model.document import Document


class KnowledgeBaseArticleSend(Document):
	pass


def on_doctype_update():
	frappe.db.add_index("Knowledge Base Article Send", ["article", "sent_at"], "article_sent_at_idx")
