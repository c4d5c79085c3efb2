"""Demo canned responses and knowledge-base articles for the Run command (English and Russian, as customers
write both). Idempotent: a second load adds nothing."""

import frappe

OWNER, MEMBER = "owner@demo.tg-tickets.test", "member@demo.tg-tickets.test"
RESPONSES = [
	("Greeting", "/hi", "General", "Everyone", None,
	 "Hello {{customer_name}}! I am {{agent_name}} and I will take care of ticket #{{ticket_id}}."),
	("Refund started", "/refund", "Billing", "Team", "Billing",
	 "Hi {{customer_name}}, your refund for «{{ticket_title}}» is on its way: <b>3–5 business days</b>. "
	 "— {{agent_name}}, {{team}}"),
	("Password reset", "/reset", "Account", "Everyone", None,
	 "To reset your password open <a href=\"https://example.com/reset\">the reset page</a> and follow the steps. "
	 "Write back here if the mail does not arrive."),
	("Возврат средств", "/vozvrat", "Billing", "Everyone", None,
	 "Здравствуйте, {{customer_name}}! Возврат по заявке #{{ticket_id}} оформлен, деньги придут за 3–5 рабочих дней."),
	("Closing", "/bye", "General", "Personal", None, "Glad we could help, {{customer_name}}. Have a nice day!"),
]
ARTICLES = [
	("How refunds work", "Billing", "Published",
	 "<p>Refunds are issued to the card you paid with. A refund takes <b>3–5 business days</b> to arrive.</p>"),
	("Reset your password", "Account", "Published",
	 "<p>Open the login page, choose <i>Forgot password</i> and follow the link in the e-mail.</p>"),
	("Как оформить возврат", "Billing", "Published",
	 "<p>Возврат средств оформляется на карту, с которой была оплата. Деньги возвращаются за 3–5 рабочих дней.</p>"),
	("Two-factor authentication codes arrive late", "Technical", "Published",
	 "<p>Check that your phone's clock is set automatically; codes are valid for 30 seconds.</p>"),
	("Exporting to CSV (draft)", "Technical", "Draft", "<p>Work in progress.</p>"),
]


def make_demo_replies():
	for title, shortcut, category, scope, team, body in RESPONSES:
		if frappe.db.exists("Canned Response", {"title": title}):
			continue
		owner = MEMBER if scope == "Personal" else OWNER
		doc = frappe.get_doc({
			"doctype": "Canned Response", "title": title, "shortcut": shortcut, "scope": scope, "body": body,
			"category": category if frappe.db.exists("Ticket Category", category) else None,
			"team": team if team and frappe.db.exists("Ticket Team", team) else None,
		})
		if doc.scope == "Team" and not doc.team:
			doc.scope = "Everyone"
		frappe.set_user(owner)  # the author owns a personal response (Frappe sets the owner from the session)
		try:
			doc.insert(ignore_permissions=True)
		finally:
			frappe.set_user("Administrator")
	for title, category, status, body in ARTICLES:
		if frappe.db.exists("Knowledge Base Article", {"title": title}):
			continue
		frappe.get_doc({
			"doctype": "Knowledge Base Article", "title": title, "status": status, "body": body,
			"category": category if frappe.db.exists("Ticket Category", category) else None,
		}).insert(ignore_permissions=True)
