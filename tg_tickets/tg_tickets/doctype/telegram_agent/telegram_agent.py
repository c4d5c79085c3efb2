"""Telegram Agent: a desk user's Telegram account, where SLA alerts and other direct messages go."""

from frappe.model.document import Document


class TelegramAgent(Document):
	def on_update(self):
		# The agent's private chat exists from the moment the account is linked, so parallel jobs that
		# message the agent never race to create it.
		from tg_tickets.telegram.outbound import ensure_agent_chat

		ensure_agent_chat(self.user, self.telegram_user_id)
