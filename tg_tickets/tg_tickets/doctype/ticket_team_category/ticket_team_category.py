"""A ticket category a team takes (a row of Ticket Team's categories)."""

from frappe.model.document import Document


class TicketTeamCategory(Document):
	pass
