"""The inbound record: one thing that happened on Telegram, typed and frozen, as the app works on it.

Built by normalise.py from Telethon's updates; stored by the listener as JSON (`to_payload`); read back by
the inbox job (`from_payload`). Pure and free of Telethon, so the inbox job's workers never import it.
"""

import dataclasses

GENERAL_TOPIC_ID = 1  # a forum's General topic; messages without a topic header belong to it (reported)


@dataclasses.dataclass(frozen=True)
class InboundRecord:
	"""One thing that happened on Telegram, as the app needs it. `kind` is message, edit, delete, callback or
	service; fields that do not apply to a kind stay None. Dates are naive UTC ISO strings."""

	bot_id: int
	chat_id: int
	message_id: int
	kind: str
	key: str
	chat_type: str | None = None
	chat_title: str | None = None
	chat_username: str | None = None
	sender_id: int | None = None
	sender_name: str | None = None
	sender_username: str | None = None
	outgoing: bool = False
	date: str | None = None
	edit_date: str | None = None
	text: str = ""
	media_type: str | None = None
	media: dict | None = None
	topic_id: int | None = None
	reply_to_msg_id: int | None = None
	service_action: str | None = None
	query_id: int | None = None
	callback_message_id: int | None = None
	data: str | None = None

	def to_payload(self) -> dict:
		return dataclasses.asdict(self)

	@classmethod
	def from_payload(cls, payload: dict) -> "InboundRecord":
		"""A stored payload (unknown keys from other versions are ignored; missing ones take defaults)."""
		known = {f.name for f in dataclasses.fields(cls)}
		return cls(**{k: v for k, v in payload.items() if k in known})

	@property
	def message_key(self) -> str:
		"""The stored message's unique key (edits and the message share it)."""
		return f"{self.bot_id}:{self.chat_id}:{self.message_id}"

	@property
	def command(self) -> str:
		"""`/status@bot args` → "/status"; "" when the text is not a command."""
		text = (self.text or "").strip()
		return text.split(" ")[0].split("@")[0].lower() if text.startswith("/") else ""
