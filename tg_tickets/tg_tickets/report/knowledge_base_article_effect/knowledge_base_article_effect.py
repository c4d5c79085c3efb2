"""Knowledge Base Article Effect: the figures come from tg_tickets/replies/reports.py."""

from tg_tickets.replies import reports


def execute(filters=None):
	return reports.article_effect(filters)
