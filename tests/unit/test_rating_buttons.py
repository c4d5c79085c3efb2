"""Signed rating buttons (tg_tickets/lifecycle/rating_buttons.py): pure, no site."""

import pytest

from tg_tickets.lifecycle import rating_buttons as rb

SECRET = b"site secret"
OTHER = b"another site"


def test_buttons_are_one_row_of_five_scores_each_verifying_to_itself():
	[row] = rb.buttons(SECRET, "ABC123", 2)
	assert [label for label, _data in row] == ["1 ★", "2 ★", "3 ★", "4 ★", "5 ★"]
	for score, (_label, data) in enumerate(row, start=1):
		assert data.startswith(f"cs:ABC123:2:{score}:")
		assert len(data.split(":")[-1]) == 16
		assert rb.verify(SECRET, data) == rb.Rating("ABC123", 2, score)


def test_data_fits_telegrams_64_bytes():
	assert len(rb.button_data(SECRET, "ABC123", 99999, 5).encode()) <= 64
	assert len(rb.button_data(SECRET, "T" * 40, 1, 5).encode()) == 64  # exactly the limit is fine
	with pytest.raises(ValueError, match="64 bytes"):
		rb.button_data(SECRET, "T" * 41, 1, 5)


@pytest.mark.parametrize("score", [0, 6, -1])
def test_only_scores_one_to_five_are_made(score):
	with pytest.raises(ValueError, match="1 to 5"):
		rb.button_data(SECRET, "ABC123", 0, score)


def test_the_signature_depends_on_ticket_cycle_score_and_secret():
	base = rb.signature(SECRET, "ABC123", 0, 5)
	assert base == rb.signature(SECRET, "ABC123", 0, 5)
	assert len({base, rb.signature(SECRET, "ABC124", 0, 5), rb.signature(SECRET, "ABC123", 1, 5),
		rb.signature(SECRET, "ABC123", 0, 4), rb.signature(OTHER, "ABC123", 0, 5)}) == 5


def test_data_moved_to_another_ticket_cycle_or_score_is_refused():
	data = rb.button_data(SECRET, "ABC123", 0, 2)
	signature = data.rsplit(":", 1)[1]
	for forged in (f"cs:XYZ999:0:2:{signature}", f"cs:ABC123:1:2:{signature}", f"cs:ABC123:0:5:{signature}"):
		assert rb.verify(SECRET, forged) is None


def test_data_signed_with_another_secret_or_mangled_is_refused():
	assert rb.verify(OTHER, rb.button_data(SECRET, "ABC123", 0, 3)) is None
	good = rb.button_data(SECRET, "ABC123", 0, 3)
	for bad in ("", "cs:", "cs:ABC123:0:3", good + ":x", good[:-1], good[:-1] + ("A" if good[-1] != "A" else "B"),
			"cs::0:3:" + rb.signature(SECRET, "", 0, 3), "cs:ABC123:x:3:" + good.rsplit(":", 1)[1],
			"cs:ABC123:0:x:" + good.rsplit(":", 1)[1], "lc:h:ABC123", "xs:" + good[3:]):
		assert rb.verify(SECRET, bad) is None, bad


def test_scores_outside_one_to_five_are_refused_even_when_signed():
	for score in (0, 6, 10):
		data = f"cs:ABC123:0:{score}:{rb.signature(SECRET, 'ABC123', 0, score)}"
		assert rb.verify(SECRET, data) is None


def test_is_rating():
	assert rb.is_rating("cs:anything") and not rb.is_rating("lc:h:ABC") and not rb.is_rating("")


def test_the_format_constants():
	assert (rb.PREFIX, rb.SCORES, rb.SIGNATURE_LENGTH, rb.MAX_DATA_BYTES) == ("cs:", (1, 2, 3, 4, 5), 16, 64)
