"""Knowledge Base Stem: how many articles hold a word stem (the name), kept by tg_tickets/replies/knowledge_base.py
on every article save and delete; suggestions look up the rarest words of a ticket first."""

from frappe.model.document import Document


class KnowledgeBaseStem(Document):
	pass
