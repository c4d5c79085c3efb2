"""The bot's credentials, kept encrypted in Tickets Settings (Password fields) and never logged."""

import frappe
from frappe.utils.password import get_decrypted_password


def bot_credentials() -> dict | None:
	"""{'api_id', 'api_hash', 'bot_token'} or None when any is missing."""
	settings = frappe.get_cached_doc("Tickets Settings")
	if not settings.api_id:
		return None
	api_hash = get_decrypted_password("Tickets Settings", "Tickets Settings", "api_hash", raise_exception=False)
	bot_token = get_decrypted_password("Tickets Settings", "Tickets Settings", "bot_token", raise_exception=False)
	if not api_hash or not bot_token:
		return None
	return {"api_id": int(settings.api_id), "api_hash": api_hash, "bot_token": bot_token}


def are_configured() -> bool:
	return bot_credentials() is not None


def bot_id() -> int | None:
	"""The bot's Telegram user id: the part of the token before the colon (public, not secret)."""
	creds = bot_credentials()
	if not creds:
		return None
	head = creds["bot_token"].split(":", 1)[0]
	return int(head) if head.isdigit() else None
