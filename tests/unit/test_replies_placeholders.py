"""Canned-response placeholders and Telegram HTML (tg_tickets.replies.placeholders, tg_tickets.tickets.formatting):
plain pytest, no site."""

import pytest

from tg_tickets.replies import placeholders
from tg_tickets.replies.placeholders import FIXED, Rendered, problems, render, slot_names, unfilled
from tg_tickets.tickets import formatting
from tg_tickets.tickets.formatting import Entity, Formatted, FormattingError, escape, parse, utf16_length

ALL_VALUES = {
	"customer_name": "Nora",
	"customer_username": "@nora",
	"ticket_id": "DSA312",
	"ticket_title": "Refund for order 42",
	"agent_name": "Anna Agent",
	"team": "Billing",
	"ticket.order_number": "A-17",
}


# --- rendering ------------------------------------------------------------------------------------------


def test_every_placeholder_on_the_list_is_filled():
	body = (
		"Hi {{customer_name}} ({{customer_username}}), ticket #{{ticket_id}} «{{ticket_title}}» is with "
		"{{agent_name}} of {{team}}; order {{ticket.order_number}}."
	)
	assert render(body, ALL_VALUES) == Rendered(
		"Hi Nora (@nora), ticket #DSA312 «Refund for order 42» is with Anna Agent of Billing; order A-17.", ()
	)


def test_spaces_inside_the_braces_do_not_matter_and_values_are_trimmed():
	assert render("Hi {{ customer_name }}!", {"customer_name": "  Nora \n"}) == Rendered("Hi Nora!", ())


def test_a_missing_value_stays_as_its_placeholder_and_is_reported_once():
	body = "Hi {{ customer_name }}, {{customer_name}}: ticket {{ticket_id}}, team {{team}}"
	result = render(body, {"customer_name": None, "ticket_id": "ABC123", "team": "   "})
	assert result.text == "Hi {{customer_name}}, {{customer_name}}: ticket ABC123, team {{team}}"
	assert result.missing == ("customer_name", "team")


def test_a_value_not_given_at_all_counts_as_missing():
	assert render("{{agent_name}}", {}) == Rendered("{{agent_name}}", ("agent_name",))


def test_values_are_escaped_for_telegram_html_and_cannot_change_the_formatting():
	body = "<b>Dear {{customer_name}}</b>"
	result = render(body, {"customer_name": "<i>Bob</i> & Co > you"})
	assert result.text == "<b>Dear &lt;i&gt;Bob&lt;/i&gt; &amp; Co &gt; you</b>"
	assert parse(result.text) == Formatted("Dear <i>Bob</i> & Co > you", (Entity("bold", 0, 26),))


def test_values_that_are_not_strings_are_written_as_text():
	assert render("#{{ticket_id}} {{ticket.count}}", {"ticket_id": 42, "ticket.count": 0}).text == "#42 0"


def test_rendering_leaves_text_without_placeholders_untouched():
	assert render("Plain <b>text</b> { not } {single}", ALL_VALUES) == Rendered("Plain <b>text</b> { not } {single}", ())
	assert render("", ALL_VALUES) == Rendered("", ())
	assert render(None, ALL_VALUES) == Rendered("", ())


# --- what may be saved ----------------------------------------------------------------------------------


def test_the_fixed_list_is_what_the_issue_names():
	assert set(FIXED) == {"customer_name", "customer_username", "ticket_id", "ticket_title", "agent_name", "team"}


def test_known_placeholders_and_custom_fields_pass():
	body = "{{customer_name}} {{ customer_username }} {{ticket_id}} {{ticket_title}} {{agent_name}} {{team}} {{ticket.order_number}}"
	assert problems(body, ["order_number"]) == []


def test_unknown_placeholders_are_named():
	assert problems("Hi {{customer}} {{ticket.secret}} {{team}}", ["order_number"]) == [
		"Unknown placeholder {{customer}}",
		"Unknown placeholder {{ticket.secret}}",
	]


def test_template_code_and_expressions_are_refused():
	assert problems("{% if x %}yes{% endif %}") == ["Template code is not allowed: {% if x %}"]
	assert problems("{# note #}") == ["Template code is not allowed: {# note #}"]
	assert problems("{{ customer_name | upper }}") == ["Unknown placeholder {{customer_name | upper}}"]
	assert problems("{{ frappe.db.sql('drop') }}", ["db"]) == ["Unknown placeholder {{frappe.db.sql('drop')}}"]
	assert problems("{{ticket.}}") == ["Unknown placeholder {{ticket.}}"]
	assert problems("{{Customer_Name}}") == ["Unknown placeholder {{Customer_Name}}"]


def test_a_custom_field_must_exist():
	assert placeholders.is_known("ticket.order_number", ["order_number"])
	assert not placeholders.is_known("ticket.order_number", [])
	assert not placeholders.is_known("order_number", ["order_number"])
	assert placeholders.is_known("team")


def test_slot_names_each_once_in_order():
	assert slot_names("{{b}} {{ a }} {{b}}\n{{c\n}}") == ["b", "a", "c"]
	assert slot_names(None) == []


def test_unfilled_lists_the_placeholders_a_reply_still_holds():
	assert unfilled("Hi {{customer_name}}, see {{ team }} and {{customer_name}}") == ["customer_name", "team"]
	assert unfilled("math: {{ 1 + 1 }} and {{x.y.z}}") == []
	assert unfilled("no slots here") == []


# --- Telegram HTML --------------------------------------------------------------------------------------


def test_escape_replaces_exactly_what_telegram_requires():
	assert escape('a & b < c > d "q" \'s\'') == 'a &amp; b &lt; c &gt; d "q" \'s\''
	assert escape("&lt;") == "&amp;lt;"
	assert escape(5) == "5"


def test_parse_gives_the_plain_text_and_entities():
	result = parse("<b>Bold</b> <i>it</i> <u>u</u> <s>s</s> <code>c</code> <pre>p</pre> <tg-spoiler>x</tg-spoiler>")
	assert result.text == "Bold it u s c p x"
	assert [(e.kind, e.offset, e.length) for e in result.entities] == [
		("bold", 0, 4), ("italic", 5, 2), ("underline", 8, 1), ("strike", 10, 1), ("code", 12, 1), ("pre", 14, 1),
		("spoiler", 16, 1),
	]


def test_synonyms_map_to_the_same_entities():
	result = parse("<strong>a</strong><em>b</em><ins>c</ins><strike>d</strike><del>e</del><blockquote>f</blockquote>")
	assert [e.kind for e in result.entities] == ["bold", "italic", "underline", "strike", "strike", "blockquote"]


def test_offsets_count_utf16_code_units_as_telegram_does():
	result = parse("😀 <b>é😀</b> x")
	assert result.text == "😀 é😀 x"
	assert result.entities == (Entity("bold", 3, 3),)
	assert utf16_length("😀") == 2 and utf16_length("é") == 1 and utf16_length("") == 0


def test_nested_entities_are_ordered_by_offset_outer_first():
	result = parse("<b>a <i>b</i></b>")
	assert result.entities == (Entity("bold", 0, 3), Entity("italic", 2, 1))


def test_entities_are_sorted_by_offset_not_by_closing_order():
	result = parse("<i>x</i> <b>y</b>")
	assert [e.offset for e in result.entities] == [0, 2]


def test_links_keep_their_address():
	result = parse('See <a href="https://help.example/kb/refunds">the article</a>.')
	assert result.text == "See the article."
	assert result.entities == (Entity("text_link", 4, 11, "https://help.example/kb/refunds"),)
	assert result.entities[0].as_dict() == {"kind": "text_link", "offset": 4, "length": 11, "url": "https://help.example/kb/refunds"}
	assert parse('<a href="tg://user?id=1">u</a>').entities[0].url == "tg://user?id=1"
	assert parse('<a href="http://x">u</a>').entities[0].url == "http://x"


def test_entities_and_charrefs_become_their_characters():
	assert parse("&lt;b&gt; &amp; &quot;").text == '<b> & "'
	assert parse("R&D, 2 < 3, <3").text == "R&D, 2 < 3, <3"


def test_an_empty_tag_makes_no_entity_and_outer_whitespace_is_trimmed():
	assert parse("  <b></b>hi  \n") == Formatted("hi", ())
	assert parse("") == Formatted("", ()) and parse(None) == Formatted("", ())


def test_as_dict_is_what_the_desk_and_the_outbox_store():
	assert parse("<b>x</b>").as_dict() == {"text": "x", "entities": [{"kind": "bold", "offset": 0, "length": 1}]}


@pytest.mark.parametrize(
	("source", "message"),
	[
		("<div>x</div>", "Telegram does not support the tag <div>."),
		("a<br/>b", "Telegram does not support the tag <br/>."),
		("<b>x", "<b> is never closed."),
		("<b><i>x</b></i>", "</b> does not close the last opened tag."),
		("x</b>", "</b> does not close the last opened tag."),
		("<a>x</a>", "A link (<a>) needs an href starting with http://, https:// or tg://."),
		('<a href="javascript:alert(1)">x</a>', "A link (<a>) needs an href starting with http://, https:// or tg://."),
		('<a href="  ">x</a>', "A link (<a>) needs an href starting with http://, https:// or tg://."),
	],
)
def test_invalid_formatting_is_refused_with_a_reason(source, message):
	with pytest.raises(FormattingError) as error:
		parse(source)
	assert str(error.value) == message


def test_formatting_error_is_a_value_error():
	assert issubclass(formatting.FormattingError, ValueError)


def test_the_reply_box_names_each_placeholder_in_words():
	assert FIXED == {
		"customer_name": "Customer's name",
		"customer_username": "Customer's Telegram username",
		"ticket_id": "Ticket ID",
		"ticket_title": "Ticket title",
		"agent_name": "Agent's name",
		"team": "Team",
	}
	assert placeholders.CUSTOM_FIELD_PREFIX == "ticket."


def test_results_are_immutable_values_with_empty_defaults():
	import dataclasses

	assert Rendered("x").missing == () and Formatted("x").entities == ()
	for value, field in ((Rendered("x"), "text"), (Formatted("x"), "text"), (Entity("bold", 0, 1), "offset")):
		with pytest.raises(dataclasses.FrozenInstanceError):
			setattr(value, field, "changed")


def test_utf16_length_is_a_whole_number():
	assert type(utf16_length("ab😀")) is int and utf16_length("ab😀") == 4


def test_entities_starting_at_the_same_place_list_the_outer_one_first():
	result = parse("<b><i>x</i> y</b>")
	assert result.entities == (Entity("bold", 0, 3), Entity("italic", 0, 1))
