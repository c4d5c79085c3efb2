"""Agents' own Telegram accounts (Telegram Agent): their private chat with the bot, and direct alerts.

`alert_agents` is this domain's handler of the ALERT_AGENTS event: other domains (the SLA's notices) alert
agents without knowing about Telegram; only agents who linked an account are reached.
"""

import frappe

from tg_tickets.tickets.outbox import queue_message


def alert_agents(texts_by_user: dict[str, str]) -> list[str]:
	"""One direct message per agent with a linked account; returns the queued rows' names."""
	if not texts_by_user:
		return []
	linked = dict(
		frappe.db.sql(
			"select user, telegram_user_id from `tabTelegram Agent` where user in %s and ifnull(telegram_user_id, '') != ''",
			(tuple(texts_by_user),),
		)
	)
	names = []
	for user in sorted(linked):
		ensure_agent_chat(user, linked[user])  # accounts linked before agents' chats were made on linking
		names += queue_message(linked[user], texts_by_user[user])
	return names


def notify_agent(user: str, text: str) -> list[str]:
	"""A direct message to one agent; [] when the agent linked no Telegram account."""
	return alert_agents({user: text})


def ensure_agent_chat(user: str, telegram_user_id: str) -> None:
	"""The agent's private chat with the bot (made when the account is linked)."""
	if telegram_user_id and not frappe.db.exists("Linked Chat", telegram_user_id):
		frappe.get_doc({
			"doctype": "Linked Chat", "chat_id": telegram_user_id, "chat_type": "Private",
			"title": frappe.utils.get_fullname(user) or user,
		}).insert(ignore_permissions=True)


def on_agent_linked(agent, method=None) -> None:
	"""Telegram Agent saved: the agent's private chat exists from the moment the account is linked, so
	parallel jobs that message the agent never race to create it."""
	ensure_agent_chat(agent.user, agent.telegram_user_id)
