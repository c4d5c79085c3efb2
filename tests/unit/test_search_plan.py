"""The search planner's cost model: walk the newest rows for dense words, FULLTEXT for sparse ones."""

from tg_tickets.tickets.search import PAGE, PROBE_ROWS, split_words, walk_is_cheaper, words_of


def test_a_page_found_within_the_probe_means_walking():
	assert walk_is_cheaper(PAGE, 1_000_000)


def test_no_match_in_the_probe_means_fulltext():
	assert not walk_is_cheaper(0, 1_000_000)


def test_a_word_in_half_a_percent_of_a_million_tickets_is_walked():
	assert walk_is_cheaper(int(PROBE_ROWS * 0.005), 1_000_000)


def test_a_word_in_a_tenth_of_a_percent_is_looked_up_in_the_fulltext_index():
	assert not walk_is_cheaper(int(PROBE_ROWS * 0.001), 1_000_000)


def test_on_a_small_table_fulltext_wins_sooner():
	assert not walk_is_cheaper(int(PROBE_ROWS * 0.005), 20_000)


def test_words_are_split_into_indexed_and_regexp_only():
	assert words_of("Printer, on FIRE!  #DSA312") == ["printer", "on", "fire", "dsa312"]
	assert split_words(["printer", "on", "ab", "the", "fire"]) == (["printer", "fire"], ["on", "ab", "the"])
