"""Ranking of suggested articles (tg_tickets.replies.ranking): no site."""

from tg_tickets.replies.ranking import best, query_weights, score


def test_typed_stems_weigh_three_times_the_tickets_own():
	assert query_weights(["password"], ["password", "refund", "card"]) == {"password": 3, "refund": 1, "card": 1}
	assert query_weights([], []) == {}


def test_an_article_scores_the_weights_of_the_stems_it_holds_title_ones_double():
	weights = {"password": 3, "refund": 1, "card": 1}
	assert score(weights, ["reset", "password"], ["forgot", "card"], False) == 3 * 2 + 1
	assert score(weights, [], ["refund"], False) == 1.0
	assert score(weights, ["refund"], [], False) == 2.0  # a title stem counts even when the body lacks it
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
