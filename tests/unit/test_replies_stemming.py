"""Russian and English word stems for article suggestions (tg_tickets.replies.stemming): no site."""

from tg_tickets.replies import stemming
from tg_tickets.replies.stemming import stem, stems, words


def test_english_word_forms_share_a_stem():
	assert stems("refund refunds refunded refunding") == ["refund"]
	assert stems("Password passwords") == ["password"]


def test_russian_word_forms_share_a_stem():
	assert stems("возврат возврата возвратом возвраты") == ["возврат"]
	assert stems("пароль пароля паролем") == ["парол"]


def test_mixed_text_stems_each_word_by_its_own_script():
	assert stems("Refunds и возврата for payments") == ["refund", "возврат", "payment"]


def test_yo_reads_as_ye_and_case_is_ignored():
	assert words("Ёлка ЁЖ") == ["елка", "еж"]
	assert stems("ЁЛКА елки") == stems("елка")


def test_stopwords_and_single_letters_are_dropped():
	assert stems("the and how и не что a я x") == []
	assert stems("how do I reset my password") == ["reset", "password"]


def test_digits_are_kept_as_they_are():
	assert stem("2024") == "2024"
	assert stems("order 42 A-17") == ["order", "42", "17"]


def test_punctuation_and_underscores_split_words():
	assert words("refund,payment_card;доставка!") == ["refund", "payment", "card", "доставка"]
	assert words("") == [] and words(None) == []


def test_each_stem_once_in_first_appearance_order_up_to_the_limit():
	assert stems("card payment cards refund payments") == ["card", "payment", "refund"]
	assert stems("card payment refund", limit=2) == ["card", "payment"]
	assert stems("card payment refund", limit=None) == ["card", "payment", "refund"]


def test_the_stopword_list_covers_both_languages():
	assert {"the", "and", "и", "что", "пожалуйста"} <= stemming.STOPWORDS
	assert "refund" not in stemming.STOPWORDS and "возврат" not in stemming.STOPWORDS


def test_tokens_longer_than_a_word_are_dropped():
	assert stemming.MAX_WORD == 40
	assert stems("a" * 41 + " refund " + "b" * 40) == ["refund", "b" * 40]
