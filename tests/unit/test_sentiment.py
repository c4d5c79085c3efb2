"""Sentiment of customer messages (tg_tickets/lifecycle/sentiment.py): pure, offline, no site."""

import math

import pytest

from tg_tickets.lifecycle import sentiment as s

# A small lexicon for the rule tests: its numbers make the expected sums easy to follow.
LEX = s.load_lexicon("# comment\n\nхорош\t2.0\nплох\t-2.0\nнедовол\t-3.0\nдовол\t1.0\nок$\t0.5\nЁлк\t1.0\n")


def norm(x):
	return round(x / math.sqrt(x * x + 15), 4)


def ru(text):
	return s.russian_score(text, LEX)


def test_the_lexicon_file_loads_stems_and_exact_words():
	stems, exact = s.russian_lexicon()
	assert stems["спасиб"] == 2.0 and stems["ужас"] == -3.0 and exact["ок"] == 0.5
	assert "ок" not in stems and all(not k.endswith("$") for k in list(stems) + list(exact))
	assert len(stems) + len(exact) > 100


def test_load_lexicon_reads_stems_exact_words_and_skips_comments():
	stems, exact = LEX
	assert stems == {"хорош": 2.0, "плох": -2.0, "недовол": -3.0, "довол": 1.0, "елк": 1.0}
	assert exact == {"ок": 0.5}


def test_the_longest_stem_wins_and_exact_entries_match_whole_words_only():
	stems, exact = LEX
	assert s.word_valence("недоволен", stems, exact) == -3.0
	assert s.word_valence("доволен", stems, exact) == 1.0
	assert s.word_valence("хорошо", stems, exact) == 2.0
	assert s.word_valence("ок", stems, exact) == 0.5
	assert s.word_valence("океан", stems, exact) == 0.0
	assert s.word_valence("стол", stems, exact) == 0.0
	assert s.word_valence("хо", {"хо": 1.0}, {}) == 1.0  # two letters is a stem still
	assert s.word_valence("х", {"х": 1.0}, {}) == 0.0


def test_a_single_word_is_normalised_as_vader_does():
	assert ru("хорошо") == norm(2.0)
	assert ru("плохо") == norm(-2.0)
	assert ru("стол") == 0.0
	assert ru("Хорошо") == norm(2.0)  # case does not matter
	assert ru("ёлка") == norm(1.0)  # ё is read as е


def test_words_add_up():
	assert ru("хорошо хорошо плохо") == norm(2.0)


def test_a_negation_within_two_words_flips_and_damps():
	assert ru("не хорошо") == norm(2.0 * -0.74)
	assert ru("нет совсем хорошо") == norm((2.0 + 0.293) * -0.74)
	assert ru("без стол хорошо") == norm(2.0 * -0.74)
	assert ru("ни стол стол хорошо") == norm(2.0)  # three words back: out of reach


def test_a_negation_stops_at_punctuation():
	assert ru("не стол, хорошо") == norm(2.0)
	assert ru("не стол. хорошо") == norm(2.0)


def test_boosters_and_dampeners_move_a_word_away_from_or_towards_zero():
	assert ru("очень хорошо") == norm(2.293)
	assert ru("очень плохо") == norm(-2.293)
	assert ru("немного плохо") == norm(-2.0 + 0.293)
	assert ru("немного хорошо") == norm(2.0 - 0.293)
	assert ru("очень, хорошо") == norm(2.0)  # not across punctuation


def test_modifiers_are_never_sentiment_words_themselves():
	# "довольно" (rather) would match the stem довол (satisfied)
	assert ru("довольно") == 0.0
	assert ru("довольно плохо") == norm(-2.0 + 0.293)


def test_after_but_counts_more_and_before_it_less():
	assert ru("хорошо но плохо") == norm(2.0 * 0.5 - 2.0 * 1.5)
	assert ru("плохо, однако хорошо") == norm(-2.0 * 0.5 + 2.0 * 1.5)
	assert ru("хорошо но плохо но хорошо") == norm(2.0 * 0.5 - 2.0 * 1.5 + 2.0 * 1.5)  # the first "but" counts


def test_exclamation_marks_add_emphasis_up_to_four():
	assert ru("хорошо!") == norm(2.0 + 0.292)
	assert ru("плохо!!") == norm(-2.0 - 2 * 0.292)
	assert ru("хорошо!!!!!!") == norm(2.0 + 4 * 0.292)
	assert ru("стол!!!") == 0.0  # emphasis of nothing is nothing


def test_emoji_take_the_valence_vader_gives_their_description():
	assert s.emoji_valence("стол") == 0.0
	smile = s.emoji_valence("🙂")
	assert smile > 0 and s.emoji_valence("🙂🙂") == 2 * smile
	assert ru("стол 🙂") == norm(smile)


def test_language_is_chosen_by_the_letters_that_dominate():
	assert s.is_russian("Привет, all")
	assert not s.is_russian("Hello, мир")
	assert not s.is_russian("ab вг")  # a tie is not Russian


@pytest.mark.parametrize("text", ["Спасибо большое, всё отлично!", "Thanks, that fixed it!", "Я очень доволен"])
def test_happy_messages_score_positive(text):
	assert 0.3 < s.score(text) <= 1


@pytest.mark.parametrize("text", ["Не работает, ужас", "This is terrible, nothing works", "Опять не работает!!!",
	"Я недоволен", "Хорошо, но очень медленно"])
def test_unhappy_messages_score_negative(text):
	assert -1 <= s.score(text) < -0.2


def test_english_is_vaders_compound_score():
	text = "The app is great but the support was awful!"
	assert s.score(text) == round(s.english().polarity_scores(text)["compound"], 4)


@pytest.mark.parametrize("text", [None, "", "   ", "123", "+7 (999) 000-00-00"])
def test_nothing_to_score_is_none(text):
	assert s.score(text) is None


def test_emoji_only_messages_are_scored_by_vader():
	assert s.score("😍") == round(s.english().polarity_scores("😍")["compound"], 4)
	assert s.score("😍") > 0


def test_trend_is_the_mean_of_the_last_scores():
	assert s.trend([]) is None
	assert s.trend([None, None]) is None
	assert s.trend([0.5]) == 0.5
	assert s.trend([1.0, -1.0, 0.2, 0.4, 0.6, 0.8, None]) == 0.2
	assert s.trend([1.0, 0.0, 0.5], window=2) == 0.25


@pytest.mark.parametrize("word", sorted(s.NEGATIONS))
def test_every_negation_flips(word):
	assert ru(f"{word} хорошо") == norm(2.0 * -0.74)


@pytest.mark.parametrize("word", sorted(s.BOOSTERS - {"не"}))
def test_every_booster_boosts(word):
	assert ru(f"{word} плохо") == norm(-2.293)


@pytest.mark.parametrize("word", sorted(s.DAMPENERS))
def test_every_dampener_damps(word):
	assert ru(f"{word} плохо") == norm(-2.0 + 0.293)


@pytest.mark.parametrize("word", sorted(s.BUT_WORDS))
def test_every_but_word_shifts_the_weight(word):
	assert ru(f"хорошо {word} плохо") == norm(2.0 * 0.5 - 2.0 * 1.5)


def test_a_weak_word_is_boosted_and_emphasised_in_its_own_direction():
	assert ru("очень ок") == norm(0.5 + 0.293)
	assert ru("немного ок") == norm(0.5 - 0.293)
	assert ru("ок!") == norm(0.5 + 0.292)


def test_no_modifier_is_ever_scored_as_a_sentiment_word():
	stems, exact = s.load_lexicon("\n".join(f"{w}\t3.0" for w in sorted(s.MODIFIERS)) + "\nхорош\t2.0")
	for word in sorted(s.MODIFIERS):
		assert s.russian_score(word, (stems, exact)) == 0.0, word


def test_emoji_without_a_scored_description_add_nothing():
	assert s.emoji_valence("🚀") == 0.0  # "rocket": no word VADER scores


def test_trend_rounds_to_four_places():
	assert s.trend([0.12345, 0.0]) == 0.0617


NEUTRAL_OR_NOT = [
	"message 3 from chat 17", "Invoice 42 for March", "Can you check my invoice please?", "ok", "OK!!!",
	"not good", "no", "The app crashes when I open the settings page", "kind of great", "yeah right",
	"I am :) now", "I am :-( now", "great.", "(good)", "GOOD", "Thanks!", "it's the bomb", "Done 👍", "order #123 📦",
	"why?", "lol", "meh.", "fine", "the shit", "I can't log in", "without issue", "very", "least", "but",
]


@pytest.mark.parametrize("text", NEUTRAL_OR_NOT)
def test_the_neutral_fast_path_agrees_with_vader(text):
	# the fast path answers 0 only where VADER's own compound score is 0 (and it does answer for plain texts)
	vader = round(s.english().polarity_scores(text)["compound"], 4)
	assert s.score(text) == vader
	if s.english_is_neutral(text):
		assert vader == 0


def test_the_neutral_fast_path_takes_plain_texts_and_leaves_lexicon_words_emoji_and_emoticons_to_vader():
	assert s.english_is_neutral("message 3 from chat 17") and s.english_is_neutral("Invoice 42 for March")
	assert not s.english_is_neutral("Thanks!")  # punctuation stripped as VADER does
	assert not s.english_is_neutral("GOOD")  # case folded
	assert not s.english_is_neutral("I am :) now")  # an emoticon is a lexicon token
	assert not s.english_is_neutral("order #123 📦")  # emoji go to VADER (their descriptions may score)
	assert not s.english_is_neutral("fine")


def test_modifier_words_never_score_themselves_even_when_a_stem_matches_them():
	"""A negation, booster, dampener or "but" only modifies: a lexicon stem that one of them starts with ("так" of
	"таким", "не" of "нежный") does not give it a valence of its own."""
	lexicon = s.load_lexicon("так\t1.0\nне\t-1.0\nнемн\t1.0\nно\t1.0\nхорош\t2.0\n")
	assert s.russian_score("так хорошо", lexicon) == norm(2.293)
	assert s.russian_score("не хорошо", lexicon) == norm(2.0 * s.N_SCALAR)
	assert s.russian_score("немного хорошо", lexicon) == norm(2.0 - 0.293)
	assert s.russian_score("но хорошо", lexicon) == norm(2.0 * 1.5)


def test_a_mostly_latin_text_with_a_cyrillic_word_is_scored_as_english():
	text = "This is terrible, Иван"
	assert s.score(text) == round(s.english().polarity_scores(text)["compound"], 4) < -0.4
	assert s.russian_score(text) == 0.0  # what the Russian rules would have given
