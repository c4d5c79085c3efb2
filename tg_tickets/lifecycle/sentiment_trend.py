"""Sentiment in the desk, the Frappe-facing part: scores customers' texts as the inbox stores them
(CUSTOMER_TEXT_SENTIMENT, scored by the pure sentiment module) and keeps each ticket's trend
(CUSTOMER_MESSAGES_STORED): `sentiment` is the mean of its last TREND_WINDOW scored customer messages,
`sentiment_trend` their scores, oldest first (JSON), for the desk to draw, kept by appending each batch's new
scores (no query over the messages); escalation reads the messages' scores with their times (last_scores).
Runs in the inbox job's transaction.
"""

from __future__ import annotations

import json

import frappe

from tg_tickets.lifecycle import sentiment

# Loaded at import (30 ms): warm RQ workers import this module before forking (worker_preload), so no job
# reads VADER's lexicon again.
sentiment.english()
sentiment.russian_lexicon()
sentiment.emoji_valences()

TREND_LENGTH = 10  # scores kept for the desk's trend
TREND_WINDOW = 5  # the ticket's sentiment: the mean of this many last scores


def score_texts(texts: list[str]) -> list[float | None]:
	return [sentiment.score(text) for text in texts]


def last_scores(tickets: list[str], count: int = TREND_LENGTH) -> dict[str, list[tuple]]:
	"""Each ticket's last `count` customer scores as (received at, score), oldest first (one query, by the
	ticket index)."""
	found: dict[str, list[tuple]] = {}
	if not tickets:
		return found
	rows = frappe.db.sql(
		"""select ticket, telegram_date, sentiment from (
			select ticket, telegram_date, sentiment,
			row_number() over (partition by ticket order by telegram_date desc, creation desc) as n
			from `tabTelegram Message`
			where ticket in %(tickets)s and direction = 'Incoming' and is_agent_reply = 0 and sentiment_scored = 1
		) last where n <= %(count)s order by ticket, n desc""",
		{"tickets": tuple(tickets), "count": count},
	)
	for ticket, at, score in rows:
		found.setdefault(ticket, []).append((at, round(float(score), 2)))
	return found


def rebuild_trends(tickets: list[str]) -> None:
	"""CUSTOMER_SCORES_CHANGED: the tickets' trend read again from their messages' scores (after an edit was
	scored again; rare, so one query over the messages rather than the stored trend)."""
	if not tickets:
		return
	found = last_scores(list(tickets), TREND_LENGTH)
	rows = []
	for name in sorted(tickets):
		values = [score for _at, score in found.get(name, [])]
		rows.append((name, sentiment.trend(values, TREND_WINDOW) if values else None, json.dumps(values) if values else None))
	derived = " union all ".join(["select %s as name, %s as score, %s as trend"] * len(rows))
	frappe.db.sql(
		f"""update `tabTicket` t join ({derived}) v on v.name = t.name
		set t.sentiment = v.score, t.sentiment_trend = v.trend""",
		[value for row in rows for value in row],
	)


# The stored trend (a JSON list written with json.dumps, items ", "-separated) with a batch's new scores after it:
# SQL text, so that one UPDATE keeps the trend without reading it first. SUBSTRING_INDEX(list, ', ', -n) is its
# last n items. (For 500 tickets: 17 ms, against 22 ms for a read and then a write; benchmarks/lifecycle.py.)
_WITH_NEW = "concat_ws(', ', nullif(substring(t.sentiment_trend, 2, char_length(t.sentiment_trend) - 2), ''), v.new)"


def update_trends(scores: dict[str, list[float]]) -> None:
	"""CUSTOMER_MESSAGES_STORED: each ticket's stored trend plus its new scores, the last TREND_LENGTH kept, and
	its sentiment (the mean of the last TREND_WINDOW), in one UPDATE for the batch (the desk hears of it through
	the conversation's realtime event)."""
	rows = [
		(name, ", ".join(json.dumps(round(float(v), 2)) for v in new[-TREND_LENGTH:]))
		for name, new in sorted(scores.items()) if new
	]
	if not rows:
		return
	derived = " union all ".join(["select %s as name, %s as new"] * len(rows))
	last_window = f"concat('[', substring_index({_WITH_NEW}, ', ', -{TREND_WINDOW}), ']')"
	# sentiment first: it reads the trend as stored (assignments may run left to right)
	frappe.db.sql(
		f"""update `tabTicket` t join ({derived}) v on v.name = t.name
		set t.sentiment = (select round(avg(j.score), 4) from json_table({last_window}, '$[*]' columns (score double path '$')) j),
		t.sentiment_trend = concat('[', substring_index({_WITH_NEW}, ', ', -{TREND_LENGTH}), ']')""",
		[value for row in rows for value in row],
	)
