from frappe.model.document import Document


class AgentNotificationChannel(Document):
	pass
