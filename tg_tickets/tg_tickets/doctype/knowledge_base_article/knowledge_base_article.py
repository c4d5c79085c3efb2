"""Knowledge Base Article: a public page (/articles/<slug>) while Published; Draft and Archived pages answer 404.
Rules live in tg_tickets/replies/knowledge_base.py; edits are kept in Version (track_changes)."""

import frappe
from frappe.website.website_generator import WebsiteGenerator

from tg_tickets.replies import knowledge_base


class KnowledgeBaseArticle(WebsiteGenerator):
	# The page is never cached: views are counted and an archived article must disappear at once.
	website = frappe._dict(condition_field="published", page_title_field="title", no_cache=1)

	def validate(self):
		knowledge_base.before_save(self)
		super().validate()

	def on_update(self):
		super().on_update()
		knowledge_base.after_save(self)

	def after_delete(self):
		knowledge_base.after_delete(self)

	def make_route(self):
		return knowledge_base.make_route(self)

	def get_context(self, context):
		if not knowledge_base.pages_public():
			raise frappe.DoesNotExistError  # tickets switched off: no public pages either
		context.no_cache = 1
		context.show_sidebar = False
		context.title = self.title
		context.article_route = self.route


def on_doctype_update():
	frappe.db.add_index("Knowledge Base Article", ["status", "category"], "status_category_idx")
	knowledge_base.ensure_fulltext_index()
