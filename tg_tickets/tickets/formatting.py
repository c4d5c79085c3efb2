"""Telegram's HTML formatting (the subset Telegram's own parse mode accepts) → the plain text the customer reads
plus the formatting entities Telegram wants beside it (offsets and lengths in UTF-16 code units, as MTProto
counts). One parser for the preview the agent sees, the send guard and the delivery, so the preview is what
Telegram shows. Pure: no Frappe, no Telethon, no I/O.
"""

from dataclasses import dataclass
from html.parser import HTMLParser

# tag → entity kind (Telegram accepts these tags and their synonyms; anything else is refused, not dropped).
TAGS = {
	"b": "bold", "strong": "bold",
	"i": "italic", "em": "italic",
	"u": "underline", "ins": "underline",
	"s": "strike", "strike": "strike", "del": "strike",
	"code": "code", "pre": "pre",
	"a": "text_link",
	"tg-spoiler": "spoiler",
	"blockquote": "blockquote",
}
LINK_SCHEMES = ("http://", "https://", "tg://")


class FormattingError(ValueError):
	"""The text is not valid Telegram HTML (an unknown or unclosed tag, a link without an address)."""


@dataclass(frozen=True)
class Entity:
	kind: str
	offset: int
	length: int
	url: str | None = None

	def as_dict(self) -> dict:
		found = {"kind": self.kind, "offset": self.offset, "length": self.length}
		if self.url:
			found["url"] = self.url
		return found


@dataclass(frozen=True)
class Formatted:
	text: str
	entities: tuple[Entity, ...] = ()

	def as_dict(self) -> dict:
		return {"text": self.text, "entities": [e.as_dict() for e in self.entities]}


def escape(value: str) -> str:
	"""A value shown literally inside Telegram HTML: `&`, `<` and `>` become entities, as Telegram requires."""
	return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def utf16_length(text: str) -> int:
	return len(text.encode("utf-16-le")) // 2


class _Parser(HTMLParser):
	def __init__(self):
		super().__init__(convert_charrefs=True)
		self.parts: list[str] = []
		self.position = 0
		self.open: list[tuple[str, int, str | None]] = []
		self.entities: list[Entity] = []

	def handle_starttag(self, tag, attrs):
		if tag not in TAGS:
			raise FormattingError(f"Telegram does not support the tag <{tag}>.")
		url = None
		if tag == "a":
			url = (dict(attrs).get("href") or "").strip()
			if not url.startswith(LINK_SCHEMES):
				raise FormattingError("A link (<a>) needs an href starting with http://, https:// or tg://.")
		self.open.append((tag, self.position, url))

	def handle_startendtag(self, tag, attrs):
		raise FormattingError(f"Telegram does not support the tag <{tag}/>.")

	def handle_endtag(self, tag):
		if not self.open or self.open[-1][0] != tag:
			raise FormattingError(f"</{tag}> does not close the last opened tag.")
		_tag, start, url = self.open.pop()
		if self.position > start:
			self.entities.append(Entity(TAGS[tag], start, self.position - start, url))

	def handle_data(self, data):
		self.parts.append(data)
		self.position += utf16_length(data)


def parse(html_text: str) -> Formatted:
	"""Telegram HTML → plain text and entities (in the order they close); raises FormattingError."""
	source = (html_text or "").strip()
	parser = _Parser()
	parser.feed(source)
	parser.close()
	if parser.open:
		raise FormattingError(f"<{parser.open[-1][0]}> is never closed.")
	entities = sorted(parser.entities, key=lambda e: (e.offset, -e.length))
	return Formatted("".join(parser.parts), tuple(entities))
