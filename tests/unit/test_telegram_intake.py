"""The intake form as a pure state machine: steps, validation retries, free text, /cancel, /status."""

from tg_tickets.telegram import intake

CATEGORIES = [
	{"name": "General", "details": []},
	{"name": "Billing", "details": [{"label": "Invoice number", "pattern": r"INV-\d{6}", "error_message": "Invoice numbers look like INV-123456."}]},
]


def press(state, data):
	return intake.advance(state, {"data": data}, CATEGORIES)


def say(state, text):
	return intake.advance(state, {"text": text}, CATEGORIES)


def test_happy_path_collects_category_priority_details_and_submits():
	out = say(None, "My invoice is wrong")
	assert out.state["step"] == "category"
	assert [row[0][0] for row in out.replies[0].buttons] == ["General", "Billing"]
	out = press(out.state, "ti:c:1")
	assert out.state == {**out.state, "category": "Billing", "step": "priority"}
	out = press(out.state, "ti:p:HIGH")
	assert out.state["step"] == "detail" and "Invoice number" in out.replies[0].text
	out = say(out.state, "INV-123456")
	assert out.state["step"] == "confirm"
	out = press(out.state, "ti:s")
	assert out.state is None
	assert out.ticket == {"category": "Billing", "priority": "HIGH", "details": {"Invoice number": "INV-123456"},
						  "description": "My invoice is wrong"}


def test_invalid_detail_is_asked_again_until_valid():
	state = press(press(say(None, "Refund please").state, "ti:c:1").state, "ti:p:LOW").state
	out = say(state, "12345")
	assert out.state["step"] == "detail" and out.state["details"] == {}
	assert "INV-123456" in out.replies[0].text and "again" in out.replies[0].text
	out = say(out.state, "INV-654321")
	assert out.state["details"] == {"Invoice number": "INV-654321"}


def test_free_text_at_a_button_step_is_answered_with_the_buttons_again():
	state = say(None, "hello").state
	out = say(state, "no idea")
	assert out.state["step"] == "category" and out.replies[0].buttons
	out = say(out.state, "general")  # typing the category's name works too
	assert out.state["category"] == "General"


def test_command_start_asks_for_a_description_before_confirming():
	state = press(press(say(None, "/start").state, "ti:c:0").state, "ti:p:MEDIUM").state
	assert state["step"] == "description"
	out = say(state, "Printer is on fire")
	assert out.state["step"] == "confirm" and "Printer is on fire" in out.replies[0].text


def test_cancel_aborts_and_status_is_requested():
	state = say(None, "hello").state
	assert say(state, "/cancel").state is None
	out = say(state, "/status")
	assert out.wants_status and out.state == state


def test_callback_data_fits_telegram_limit():
	for row in intake.category_buttons([{"name": "x" * 100}] * 50) + intake.priority_buttons() + intake.confirm_buttons():
		for _label, data in row:
			assert len(data.encode()) <= 64
