"""An agent in a team, with the skills the Skill-based model prefers them for."""

from frappe.model.document import Document


class TicketTeamMember(Document):
	pass
