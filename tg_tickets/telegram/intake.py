"""The bot's intake form as a pure state machine: (state, customer input, categories) → (state, replies, ticket).

No Frappe, no Telegram: intake_flow.py loads the state and the categories, calls `advance`, stores the new state,
queues the replies and creates the ticket. Steps: category → priority → each required detail (validated,
asked again until valid) → description (only when the first message was a command) → confirm.
Callback data stays far below Telegram's 64-byte limit ("ti:c:3").
"""

import re
from dataclasses import dataclass, field

PRIORITIES = ("LOW", "MEDIUM", "HIGH")
PREFIX = "ti:"


@dataclass
class Reply:
	text: str
	buttons: list = field(default_factory=list)  # rows of (label, callback data)


@dataclass
class Outcome:
	state: dict | None
	replies: list = field(default_factory=list)
	ticket: dict | None = None  # the submitted form: category, priority, details, description
	wants_status: bool = False


def category_buttons(categories) -> list:
	return [[(c["name"], f"{PREFIX}c:{i}")] for i, c in enumerate(categories)]


def priority_buttons() -> list:
	return [[(p.title(), f"{PREFIX}p:{p}") for p in PRIORITIES]]


def confirm_buttons() -> list:
	return [[("Submit", f"{PREFIX}s"), ("Cancel", f"{PREFIX}x")]]


def ask_category(categories) -> Reply:
	return Reply("Hello! Let's open a support ticket. Which topic is it about?", category_buttons(categories))


def ask_priority() -> Reply:
	return Reply("How urgent is it?", priority_buttons())


def detail_matches(detail: dict, answer: str) -> bool:
	pattern = (detail.get("pattern") or "").strip()
	if not answer.strip():
		return False
	if not pattern:
		return True
	try:
		return re.fullmatch(pattern, answer.strip()) is not None
	except re.error:
		return True  # a broken pattern in the settings must not lock customers out


def summary(state: dict) -> str:
	lines = [f"Category: {state.get('category') or '-'}", f"Priority: {(state.get('priority') or '-').title()}"]
	for label, value in (state.get("details") or {}).items():
		lines.append(f"{label}: {value}")
	lines.append(f"Description: {state.get('description') or ''}")
	return "Please check your request:\n" + "\n".join(lines)


def find_category(categories, event) -> dict | None:
	data = event.get("data") or ""
	if data.startswith(f"{PREFIX}c:"):
		index = data.removeprefix(f"{PREFIX}c:")
		if index.isdigit() and int(index) < len(categories):
			return categories[int(index)]
		return None
	text = (event.get("text") or "").strip().lower()
	return next((c for c in categories if c["name"].lower() == text), None)


def find_priority(event) -> str | None:
	data = event.get("data") or ""
	value = data.removeprefix(f"{PREFIX}p:") if data.startswith(f"{PREFIX}p:") else (event.get("text") or "")
	value = value.strip().upper()
	return value if value in PRIORITIES else None


def next_step(state: dict, categories) -> Outcome:
	"""After the priority or a valid detail: the next missing detail, the description, or the summary."""
	category = next((c for c in categories if c["name"] == state.get("category")), None)
	details = (category or {}).get("details") or []
	index = len(state.get("details") or {})
	if index < len(details):
		state["step"] = "detail"
		return Outcome(state, [Reply(f"Please send the {details[index]['label']}.")])
	if not (state.get("description") or "").strip():
		state["step"] = "description"
		return Outcome(state, [Reply("Please describe the problem in a few words.")])
	state["step"] = "confirm"
	return Outcome(state, [Reply(summary(state), confirm_buttons())])


def advance(state: dict | None, event: dict, categories: list) -> Outcome:
	"""event: {"text": ...} for a message, {"data": ...} for an inline button press."""
	text = (event.get("text") or "").strip()
	command = text.split()[0].split("@")[0].lower() if text.startswith("/") else None
	if command == "/cancel":
		return Outcome(None, [Reply("Cancelled. Send a message whenever you want to open a ticket.")])
	if command == "/status":
		return Outcome(state, wants_status=True)

	if state is None:
		state = {"step": "category", "details": {}, "description": "" if command else text}
		if not categories:
			state["step"] = "priority"
			return Outcome(state, [ask_priority()])
		return Outcome(state, [ask_category(categories)])

	step = state.get("step")
	if (event.get("data") or "") == f"{PREFIX}x":
		return Outcome(None, [Reply("Cancelled. Send a message whenever you want to open a ticket.")])

	if step == "category":
		category = find_category(categories, event)
		if category is None:
			return Outcome(state, [Reply("Please choose one of the topics below.", category_buttons(categories))])
		state["category"] = category["name"]
		state["step"] = "priority"
		return Outcome(state, [ask_priority()])

	if step == "priority":
		priority = find_priority(event)
		if priority is None:
			return Outcome(state, [Reply("Please choose how urgent it is.", priority_buttons())])
		state["priority"] = priority
		return next_step(state, categories)

	if step == "detail":
		category = next((c for c in categories if c["name"] == state.get("category")), None)
		details = (category or {}).get("details") or []
		index = len(state.get("details") or {})
		if index >= len(details):
			return next_step(state, categories)
		detail = details[index]
		if not text or command or not detail_matches(detail, text):
			message = detail.get("error_message") or f"That is not a valid {detail['label']}."
			return Outcome(state, [Reply(f"{message} Please send the {detail['label']} again.")])
		state.setdefault("details", {})[detail["label"]] = text
		return next_step(state, categories)

	if step == "description":
		if not text or command:
			return Outcome(state, [Reply("Please describe the problem in a few words.")])
		state["description"] = text
		return next_step(state, categories)

	if step == "confirm":
		if (event.get("data") or "") == f"{PREFIX}s":
			form = {key: state.get(key) for key in ("category", "priority", "details", "description")}
			return Outcome(None, ticket=form)
		if text and not command:
			# Free text before submitting adds to the description rather than being lost.
			state["description"] = "\n".join(filter(None, [state.get("description"), text]))
		return Outcome(state, [Reply(summary(state), confirm_buttons())])

	# An unknown step (older state format): start again rather than get stuck.
	return advance(None, event, categories)
