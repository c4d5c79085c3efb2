"""The privacy domain's pure rules (tg_tickets/privacy/rules.py): policy selection, view collapsing, what a
Version row says, and the audit trail's order. No site needed."""

import dataclasses
import json
from datetime import datetime, timedelta

import pytest

from tg_tickets.privacy import rules
from tg_tickets.privacy.rules import AuditEntry, PolicyError

NOW = datetime(2026, 12, 1, 12, 0, 0)


def policy(**values):
	return {"action": "Delete", "closed_for_days": 30, "statuses": "CLOSED", **values}


def test_a_policy_selects_tickets_closed_before_now_minus_its_days():
	chosen = rules.selection(policy(closed_for_days=30, category="Billing", chat="42", batch_size=200), NOW)
	assert chosen == rules.Selection(
		action="Delete", cutoff=NOW - timedelta(days=30), statuses=("CLOSED",), category="Billing", chat="42", batch_size=200
	)
	assert not chosen.skips_anonymised


def test_a_selection_and_an_audit_entry_are_values_that_cannot_change():
	chosen = rules.selection(policy(), NOW)
	with pytest.raises(dataclasses.FrozenInstanceError):
		chosen.cutoff = NOW
	entry = AuditEntry(NOW, "view", "a@x", "T1", "")
	with pytest.raises(dataclasses.FrozenInstanceError):
		entry.user = "b@x"


def test_an_anonymising_policy_skips_tickets_already_anonymised():
	assert rules.selection(policy(action="Anonymise"), NOW).skips_anonymised


def test_empty_filters_select_every_category_and_chat_with_the_default_batch():
	chosen = rules.selection(policy(category="", chat=None, batch_size=None), NOW)
	assert (chosen.category, chosen.chat, chosen.batch_size) == (None, None, 500)


@pytest.mark.parametrize("days", [0, -3, None, "30", 2.5, True])
def test_days_must_be_a_whole_positive_number(days):
	with pytest.raises(PolicyError, match=r"^Closed for more than \(days\) must be a whole number of days, at least 1\.$"):
		rules.selection(policy(closed_for_days=days), NOW)


def test_one_day_is_enough():
	assert rules.selection(policy(closed_for_days=1), NOW).cutoff == NOW - timedelta(days=1)


@pytest.mark.parametrize("action", ["delete", "Purge", None, ""])
def test_the_action_is_delete_or_anonymise(action):
	with pytest.raises(PolicyError, match=r"^The action must be one of Delete, Anonymise\.$"):
		rules.selection(policy(action=action), NOW)


@pytest.mark.parametrize("batch", [0, -1, 5001, "10", True])
def test_the_batch_size_is_bounded(batch):
	with pytest.raises(PolicyError, match=r"^The batch size must be between 1 and 5000\.$"):
		rules.selection(policy(batch_size=batch), NOW)


@pytest.mark.parametrize("batch", [1, 5000])
def test_the_batch_bounds_are_inclusive(batch):
	assert rules.selection(policy(batch_size=batch), NOW).batch_size == batch


def test_statuses_are_read_in_any_case_and_order_and_come_back_in_lifecycle_order():
	assert rules.parse_statuses("closed, SOLVED") == ("SOLVED", "CLOSED")
	assert rules.parse_statuses(" Closed ;") == ("CLOSED",)
	assert rules.parse_statuses("solved,solved") == ("SOLVED",)


@pytest.mark.parametrize("text", ["", None, " , "])
def test_a_policy_names_at_least_one_status(text):
	with pytest.raises(PolicyError, match=r"^Name at least one status: CLOSED or SOLVED\.$"):
		rules.parse_statuses(text)


def test_open_statuses_are_never_purgeable():
	with pytest.raises(
		PolicyError, match=r"^Only tickets that are over can be purged: NEW, IN_PROGRESS is not one of SOLVED, CLOSED\.$"
	):
		rules.parse_statuses("CLOSED, new, in_progress")


def test_a_view_within_five_minutes_of_the_last_is_the_same_visit():
	assert rules.is_repeat_view(NOW - timedelta(minutes=4, seconds=59), NOW)
	assert rules.is_repeat_view(NOW, NOW)
	assert not rules.is_repeat_view(NOW - timedelta(minutes=5), NOW)
	assert not rules.is_repeat_view(None, NOW)
	assert not rules.is_repeat_view(NOW + timedelta(seconds=1), NOW)  # a clock step back is a new visit
	assert rules.is_repeat_view(NOW - timedelta(minutes=9), NOW, minutes=10)


def test_a_version_row_lists_field_changes_rows_added_removed_and_changed():
	data = {
		"changed": [["status", "NEW", "CLOSED"], ["priority", None, "HIGH"]],
		"added": [["chats", {"chat": "42", "name": "x1"}]],
		"removed": [["chats", {"name": "x2"}]],
		"row_changed": [["chats", 0, "x3", [["chat", "1", "2"]]]],
	}
	assert rules.version_changes(json.dumps(data)) == [
		("status", "NEW", "CLOSED"),
		("priority", None, "HIGH"),
		("chats", None, "42"),
		("chats", "x2", None),
		("chats.chat", "1", "2"),
	]
	assert rules.version_changes(data) == rules.version_changes(json.dumps(data))


def test_an_empty_version_says_nothing():
	assert rules.version_changes(None) == []
	assert rules.version_changes("{}") == []
	assert rules.version_changes({"added": [["chats", "plain"]]}) == [("chats", None, "plain")]


def test_a_change_reads_from_to_with_a_dash_for_nothing():
	assert rules.describe_change("status", "NEW", "CLOSED") == "status: NEW → CLOSED"
	assert rules.describe_change("team", None, "") == "team: — → —"
	assert rules.describe_change("rating", 0, 5) == "rating: 0 → 5"


def test_the_trail_is_newest_first_across_sources_with_a_stable_order_and_a_limit():
	t = NOW
	views = [AuditEntry(t, "view", "b@x", "T1", ""), AuditEntry(t - timedelta(hours=2), "view", "a@x", "T1", "")]
	changes = [AuditEntry(t - timedelta(hours=1), "change", "a@x", "T1", "status")]
	prints = [AuditEntry(t, "print", "a@x", "T1", "")]
	merged = rules.merge_trail(views, changes, prints)
	assert [(e.kind, e.user) for e in merged] == [("view", "b@x"), ("print", "a@x"), ("change", "a@x"), ("view", "a@x")]
	assert rules.merge_trail(views, changes, prints, limit=2) == merged[:2]
	assert rules.merge_trail(views, limit=0) == []
	assert rules.merge_trail() == []
