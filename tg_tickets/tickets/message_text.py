"""Telegram's text limits applied to what tickets say: message parts and topic titles. Pure, no I/O."""

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
TOPIC_TITLE_LIMIT = 128


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
	"""Parts of at most `limit` characters, cut at a paragraph, line or word boundary when there is one."""
	text = text or ""
	parts = []
	while len(text) > limit:
		window = text[:limit]
		cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
		if cut < limit // 2:
			cut = limit
		parts.append(text[:cut].rstrip())
		text = text[cut:].lstrip()
	if text or not parts:
		parts.append(text)
	return parts


def topic_title(ticket_id: str, title: str) -> str:
	"""`#ID · title`, cut to Telegram's 128 characters with an ellipsis."""
	full = f"#{ticket_id} · {(title or '').strip()}"
	if len(full) <= TOPIC_TITLE_LIMIT:
		return full
	return full[: TOPIC_TITLE_LIMIT - 1].rstrip() + "…"
