"""SLA Notification: the record that a reminder, breach or escalation was sent for a ticket.

Its name is "<ticket>:<event>", so the primary key makes every notification happen once per ticket and
threshold, whatever the number of workers or re-runs (see tg_tickets.sla.notify.claim). Never updated.
"""

from frappe.model.document import Document


class SLANotification(Document):
	def autoname(self):
		self.name = f"{self.ticket}:{self.event}"
