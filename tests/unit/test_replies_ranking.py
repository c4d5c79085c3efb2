"""Suggestion queries and ranking (tg_tickets.replies.ranking): no site."""

import math

import pytest

from tg_tickets.replies import ranking
from tg_tickets.replies.ranking import best, inverse_frequency, pick_terms, query_weights, score


def test_typed_words_come_first_then_the_rarest_of_the_tickets_words():
	frequency = {"card": 60, "refund": 5, "password": 12, "order": 20, "delay": 2}
	words = ["order", "refund", "password", "card", "delay"]
	# card is in 60 of 200 articles (over a tenth, and over 20 articles): too common to look up
	assert pick_terms(["password"], words, frequency, 200) == ["password", "delay", "refund", "order"]
	assert pick_terms(["password"], words, frequency, 200, max_share=0.3) == ["password", "delay", "refund", "order", "card"]


def test_words_in_no_article_or_in_too_many_are_not_looked_up():
	frequency = {"the": 90, "refund": 5, "common": 26, "edge": 25}
	assert pick_terms(["zzz", "the"], ["the", "refund", "zzz", "common", "edge"], frequency, 100, max_share=0.25,
		always_useful=1) == ["refund", "edge"]
	# a small knowledge base: a word in up to 20 articles is looked up however common
	assert pick_terms([], ["a", "b"], {"a": 20, "b": 21}, 21) == ["a"]
	assert pick_terms([], ["a"], {"a": 3}, 3, max_share=0.1, always_useful=3) == ["a"]
	assert pick_terms([], ["a"], {"a": 3}, 3, max_share=0.1, always_useful=2) == []
	assert ranking.ALWAYS_USEFUL == 20


def test_the_lookup_keeps_at_most_the_limit_and_breaks_ties_by_word():
	frequency = {"b": 1, "a": 1, "c": 2, "d": 3}
	assert pick_terms([], ["d", "c", "b", "a"], frequency, 100, limit=3) == ["a", "b", "c"]
	assert pick_terms(["d", "d"], ["d", "c"], frequency, 100, limit=1) == ["d"]
	assert ranking.LOOKUP_LIMIT == 12 and ranking.MAX_SHARE == 0.1


def test_inverse_frequency_grows_as_words_get_rarer():
	idf = inverse_frequency({"rare": 1, "common": 50, "none": 0}, 100)
	assert idf == {"rare": pytest.approx(math.log(101)), "common": pytest.approx(math.log(3))}


def test_typed_words_weigh_three_times_the_tickets_own():
	assert query_weights(["password"], ["password", "refund", "card"]) == {"password": 3, "refund": 1, "card": 1}
	assert query_weights(["password"], ["password", "refund"], {"password": 2.0, "refund": 0.5}) == {"password": 6.0, "refund": 0.5}
	assert query_weights([], []) == {}


def test_an_article_scores_the_weights_of_the_words_it_holds_title_ones_double():
	weights = {"password": 3, "refund": 1, "card": 1.5}
	assert score(weights, ["reset", "password"], ["forgot", "card"], False) == 3 * 2 + 1.5
	assert score(weights, [], ["refund"], False) == 1.0
	assert score(weights, ["refund"], [], False) == 2.0  # a title word counts even when the body lacks it
	assert score(weights, ["other"], ["words"], False) == 0.0


def test_the_tickets_category_adds_half():
	assert score({"refund": 1}, ["refund"], ["refund"], True) == 3.0
	assert score({"refund": 1}, ["refund"], ["refund"], False) == 2.0
	assert score({}, [], [], True) == 0.0


def test_best_orders_by_score_then_tie_breaker_then_name_and_keeps_the_limit():
	candidates = [("b", 2.0, 0.1), ("a", 2.0, 0.1), ("c", 2.0, 0.9), ("d", 5.0, 0.0), ("e", 1.0, 9.0)]
	assert best(candidates, 5) == ["d", "c", "a", "b", "e"]
	assert best(candidates, 2) == ["d", "c"]
	assert best([], 5) == []
