"""The search planner's cost model: walk the newest rows when the words together are dense enough to fill a
page soon; otherwise look up the rarest word (in the word table for a newest-first page, else in the FULLTEXT
index) and test the other words on its matches."""

import pytest

from tg_tickets.tickets.search import (
	DRIVEN_WALK_COST_PER_ROW,
	PAGE,
	PROBE_ROWS,
	SEARCH_TABLE_COST_PER_ROW,
	TICKET_ROW_COST,
	Plan,
	Probe,
	choose_plan,
	driving_index,
	heads_mask,
	split_words,
	walk_cost_per_row,
	word_table_cost,
	words_of,
)

MILLION = 1_000_000


def probe(together: int, **per_word: int) -> Probe:
	return Probe(rows=PROBE_ROWS, together=together, per_word=per_word)


def test_a_page_found_within_the_probe_means_walking():
	assert choose_plan(["printer"], probe(PAGE, printer=PAGE), MILLION) == Plan(walk=True)


def test_no_match_in_the_probe_means_fulltext():
	assert choose_plan(["zebracorn"], probe(0, zebracorn=0), MILLION) == Plan(walk=False, fulltext_word="zebracorn")


def test_a_word_in_half_a_percent_of_a_million_tickets_is_walked():
	n = int(PROBE_ROWS * 0.005)
	assert choose_plan(["walrus"], probe(n, walrus=n), MILLION).walk


def test_a_word_in_a_tenth_of_a_percent_is_looked_up_in_the_fulltext_index():
	n = int(PROBE_ROWS * 0.001)
	assert choose_plan(["otter"], probe(n, otter=n), MILLION) == Plan(walk=False, fulltext_word="otter")


def test_on_a_small_table_fulltext_wins_sooner():
	n = int(PROBE_ROWS * 0.005)
	assert not choose_plan(["walrus"], probe(n, walrus=n), 20_000).walk


def test_common_words_that_rarely_meet_use_fulltext_on_the_rarer_word():
	# "printer" in 20 %, "badger" in 0.25 %, never together: walking would read the whole table.
	plan = choose_plan(["printer", "badger"], probe(0, printer=400, badger=5), MILLION)
	assert plan == Plan(walk=False, fulltext_word="badger")


def test_common_words_that_often_meet_are_walked():
	assert choose_plan(["printer", "heron"], probe(PAGE, printer=400, heron=40), MILLION).walk


def test_without_an_indexed_word_only_walking_is_possible():
	assert choose_plan([], probe(0), MILLION).walk


def test_an_empty_table_is_walked():
	assert choose_plan(["x"], Probe(rows=0, together=0, per_word={}), 0).walk


def test_words_are_split_into_indexed_and_regexp_only():
	assert words_of("Printer, on FIRE!  #DSA312") == ["printer", "on", "fire", "dsa312"]
	assert split_words(["printer", "on", "ab", "the", "fire"]) == (["printer", "fire"], ["on", "ab", "the"])


def test_walking_the_narrow_search_table_pays_off_where_walking_tickets_would_not():
	# A word in 0.25 %: ~8,000 rows to walk for a page. Cheap in the search table (newest-first lists),
	# dearer than FULLTEXT through `tabTicket` (lists sorted by anything else).
	n = int(PROBE_ROWS * 0.0025)
	assert choose_plan(["badger"], probe(n, badger=n), MILLION, SEARCH_TABLE_COST_PER_ROW).walk
	assert not choose_plan(["badger"], probe(n, badger=n), MILLION, TICKET_ROW_COST).walk


def test_the_filters_that_fix_most_columns_of_an_index_drive_the_walk():
	both = {"status": "OPEN", "assigned_to": "a@x.test", "priority": "HIGH"}
	assert driving_index(both) == ("assignee_status_creation_idx", ("assigned_to", "status"))
	assert driving_index({"status": "OPEN", "priority": "HIGH"}) == ("status_creation_idx", ("status",))
	assert driving_index({"assigned_to": "a@x.test"}) == ("assignee_creation_idx", ("assigned_to",))
	assert driving_index({"priority": "HIGH"}) is None
	assert driving_index({}) is None


def test_empty_values_never_drive_a_walk():
	assert driving_index({"status": ""}) is None
	assert driving_index({"assigned_to": None, "status": "OPEN"}) == ("status_creation_idx", ("status",))


def test_a_walk_costs_what_it_reads():
	assert walk_cost_per_row(newest_first=True, driven=False) == SEARCH_TABLE_COST_PER_ROW
	assert walk_cost_per_row(newest_first=True, driven=True) == DRIVEN_WALK_COST_PER_ROW
	assert walk_cost_per_row(newest_first=False, driven=True) == TICKET_ROW_COST
	assert walk_cost_per_row(newest_first=False, driven=False) == TICKET_ROW_COST


def test_a_filter_that_drives_the_walk_keeps_a_half_percent_word_walked():
	# "walrus" (0.5 %) among OPEN tickets: ~4,000 OPEN rows to read for a page, far below FULLTEXT's 5,000 matches.
	n = int(PROBE_ROWS * 0.005)
	assert choose_plan(["walrus"], probe(n, walrus=n), MILLION, walk_cost_per_row(True, True)).walk


def test_a_probe_that_filled_a_page_walks_even_where_fulltext_would_look_cheaper():
	# 100 tickets: reading them all (100) costs more than FULLTEXT's estimate (10), yet the page is known full.
	assert choose_plan(["w"], probe(PAGE, w=PAGE), 100) == Plan(walk=True)


def test_a_word_absent_from_the_probe_counts_as_half_a_match():
	# 20M tickets: with half a match each way, FULLTEXT (50,000) beats walking (80,000); a whole or one and a
	# half matches would tip it.
	assert choose_plan(["w"], probe(0, w=0), 20_000_000) == Plan(walk=False, fulltext_word="w")


def test_equal_costs_go_to_fulltext():
	# 10 matches in the probe at 80,000 tickets: walking 4,000 rows, FULLTEXT 400 matches × 10: a tie.
	assert choose_plan(["w"], probe(10, w=10), 80_000) == Plan(walk=False, fulltext_word="w")


def test_on_a_newest_first_page_words_that_rarely_meet_read_the_rarer_words_rows_in_the_word_table():
	# "printer badger": walking would read the whole table; FULLTEXT on badger visits 2,500 tickets at ~10 µs.
	plan = choose_plan(["printer", "badger"], probe(0, printer=400, badger=5), MILLION, word_table=True)
	assert plan == Plan(walk=False, word_table_word="badger")


def test_the_word_table_takes_over_words_a_walk_would_otherwise_answer():
	# A word in 0.25 %: 8,000 rows to walk; its 20 newest word-table rows cost less; 2,500 FULLTEXT matches more.
	n = int(PROBE_ROWS * 0.0025)
	assert choose_plan(["badger"], probe(n, badger=n), MILLION, word_table=True) == Plan(walk=False, word_table_word="badger")
	assert choose_plan(["badger"], probe(n, badger=n), MILLION, word_table=False).walk


def test_a_selective_filter_keeps_a_frequent_word_walked_through_the_filters_index():
	# A word in ~1 %: the filter's index gives a page within ~2,100 of its rows; with a filter keeping 1/120 of
	# the tickets the word table would test 2,400 of the word's rows on it, with one keeping 1/6 only 120.
	n = PAGE - 1
	driven = walk_cost_per_row(True, True)
	assert choose_plan(["heron"], probe(n, heron=n), MILLION, driven, word_table=True, filter_share=1 / 120).walk
	plan = choose_plan(["heron"], probe(n, heron=n), MILLION, driven, word_table=True, filter_share=1 / 6)
	assert plan == Plan(walk=False, word_table_word="heron")


def test_the_word_table_reads_until_a_page_of_rows_passes_or_the_words_rows_run_out():
	# every row a match: a page of 20 rows, each read (0.5) and looked up (10)
	assert word_table_cost(1, 1000) == pytest.approx(210)
	# half of them hold the other words: 40 rows read, 24 looked up (20 matches, 20 % of the 20 others)
	assert word_table_cost(0.5, 1000) == pytest.approx(260)
	# only 10 rows of the word at all
	assert word_table_cost(1, 10) == pytest.approx(105)
	# a filter keeping a quarter: 80 rows read and looked up
	assert word_table_cost(1, 1000, 0.25) == pytest.approx(840)


def test_head_bits_are_the_ones_mariadb_sets_for_a_tickets_words():
	# crc32(first 3 characters) mod 64, as the word table's SQL computes it (checked in MariaDB: 'pri' → 10,
	# 'при' → 20): a ticket holding "printers" has the bit a query for "print" or "pri" tests.
	assert heads_mask(["printer"]) == heads_mask(["pri"]) == heads_mask(["printers"]) == 1 << 10
	assert heads_mask(["привет"]) == 1 << 20


def test_the_mask_of_several_words_holds_each_words_bit_and_short_words_set_none():
	assert heads_mask(["printer", "привет"]) == (1 << 10) | (1 << 20)
	assert heads_mask(["on", "ab", "printer"]) == 1 << 10
	assert heads_mask([]) == 0
