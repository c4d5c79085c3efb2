from frappe.model.document import Document


class EscalationRuleCondition(Document):
	pass
