"""When Telegram counts as down and when as back (tg_tickets/tickets/outage_rules.py, pure)."""

from tg_tickets.tickets import outage_rules as rules

# The signal kinds are the words the Telegram edge sends (gateway.py, listener.py, health.py): spelled out here.
NETWORK, SERVER, FLOOD, AUTH, OK = "network", "server", "flood", "auth", "ok"
LISTENER_MISSING, LISTENER_PRESENT = "listener_missing", "listener_present"
AREAS = ("inbound", "outbound", "topics")


def run(signals, state=None):
	"""Folds (kind, now, areas, seconds) signals; returns the final state and every (opened, closed) pair."""
	state = state or rules.empty_state()
	changes = []
	for kind, now, areas, *seconds in signals:
		state, opened, closed = rules.observe(state, kind, now, areas, seconds[0] if seconds else 0, f"{kind} at {now}")
		changes.append((opened, closed))
	return state, changes


def test_an_area_goes_down_on_the_third_failure_in_a_row_and_says_since_when_and_why():
	state, changes = run([(NETWORK, 10, ["outbound"]), (SERVER, 20, ["outbound"]), (NETWORK, 30, ["outbound"])])
	assert changes == [([], []), ([], []), (["outbound"], [])]
	assert state["areas"] == {"outbound": {"since": 30, "cause": NETWORK, "reason": "network at 30"}}
	assert rules.is_down(state) and rules.is_down(state, "outbound") and not rules.is_down(state, "inbound")
	assert rules.down_since(state) == 30


def test_a_success_between_failures_starts_the_count_again():
	state, changes = run([(NETWORK, 1, ["outbound"]), (NETWORK, 2, ["outbound"]), (OK, 3, ["outbound"]),
						  (NETWORK, 4, ["outbound"]), (NETWORK, 5, ["outbound"])])
	assert not rules.is_down(state)
	assert state["failures"] == {"outbound": 2}
	state, changes = run([(NETWORK, 6, ["outbound"])], state)
	assert changes == [(["outbound"], [])]


def test_failures_count_per_area():
	state, _ = run([(NETWORK, 1, ["outbound"]), (NETWORK, 2, ["inbound"]), (NETWORK, 3, ["topics"])])
	assert not rules.is_down(state)
	assert state["failures"] == {"outbound": 1, "inbound": 1, "topics": 1}
	state, changes = run([(NETWORK, 4, ["inbound"]), (NETWORK, 5, ["inbound"])], state)
	assert changes[-1] == (["inbound"], [])


def test_a_later_failure_keeps_the_first_time_and_reason():
	state, changes = run([(NETWORK, t, ["outbound"]) for t in (1, 2, 3, 4, 5)])
	assert changes[3:] == [([], []), ([], [])]
	assert state["areas"]["outbound"] == {"since": 3, "cause": NETWORK, "reason": "network at 3"}


def test_a_refused_authorization_takes_everything_down_at_once():
	state, changes = run([(AUTH, 7, ["outbound"])])
	assert changes == [(list(AREAS), [])]
	assert {a: v["cause"] for a, v in state["areas"].items()} == dict.fromkeys(AREAS, AUTH)


def test_short_flood_waits_are_pacing_long_ones_count_and_a_very_long_one_is_an_outage():
	short = [(FLOOD, t, ["outbound"], 9.9) for t in range(5)]
	state, changes = run(short)
	assert state == rules.empty_state() and changes == [([], [])] * 5
	state, changes = run([(FLOOD, t, ["outbound"], 10) for t in range(3)])
	assert changes == [([], []), ([], []), (["outbound"], [])]
	state, changes = run([(FLOOD, 1, ["topics"], 299)])
	assert changes == [([], [])]
	state, changes = run([(FLOOD, 1, ["topics"], 300)])
	assert changes == [(["topics"], [])]


def test_a_short_flood_wait_neither_counts_nor_clears():
	state, _ = run([(NETWORK, 1, ["outbound"]), (FLOOD, 2, ["outbound"], 1)])
	assert state["failures"] == {"outbound": 1}


def test_any_success_brings_back_what_failures_took_down():
	state, _ = run([(AUTH, 1, ["outbound"])])
	state, changes = run([(OK, 2, ["outbound"])], state)
	assert changes == [([], list(AREAS))]
	assert state == rules.empty_state()


def test_no_listener_past_the_grace_time_takes_everything_down_until_one_holds_the_lock():
	grace = 30
	state, changes = run([(LISTENER_MISSING, 100, []), (LISTENER_MISSING, 100 + grace - 1, [])])
	assert changes == [([], []), ([], [])] and state["listener_missing_since"] == 100
	state, changes = run([(LISTENER_MISSING, 100 + grace, [])], state)
	assert changes == [(list(AREAS), [])]
	assert rules.down_since(state) == 100 + grace
	state, changes = run([(OK, 200, ["outbound"])], state)  # a send is not a listener
	assert changes == [([], [])] and rules.is_down(state)
	state, changes = run([(LISTENER_PRESENT, 201, [])], state)
	assert changes == [([], list(AREAS))]
	assert state == rules.empty_state()


def test_a_listener_back_in_time_starts_the_grace_again():
	state, _ = run([(LISTENER_MISSING, 100, []), (LISTENER_PRESENT, 110, []), (LISTENER_MISSING, 120, [])])
	assert state["listener_missing_since"] == 120
	state, changes = run([(LISTENER_MISSING, 149, [])], state)
	assert changes == [([], [])]


def test_a_listener_back_leaves_failures_down_and_a_success_leaves_the_listener_down():
	state, _ = run([(AUTH, 1, ["inbound"]), (LISTENER_MISSING, 2, []), (LISTENER_MISSING, 32, [])])
	assert {a: v["cause"] for a, v in state["areas"].items()} == dict.fromkeys(AREAS, AUTH)  # the first cause stays
	state, changes = run([(LISTENER_PRESENT, 50, [])], state)
	assert changes == [([], [])] and rules.is_down(state)

	state, _ = run([(NETWORK, t, ["outbound"]) for t in (1, 2, 3)] + [(LISTENER_MISSING, 4, []), (LISTENER_MISSING, 40, [])])
	state, changes = run([(OK, 50, ["outbound"])], state)
	assert changes == [([], ["outbound"])]  # it went down for the network, and a send went through
	assert sorted(state["areas"]) == ["inbound", "topics"]


def test_without_a_reason_each_cause_says_its_own():
	state, *_ = rules.observe(rules.empty_state(), AUTH, 1, ["outbound"])
	assert state["areas"]["topics"]["reason"] == "Telegram refused the bot's authorization"
	state, *_ = rules.observe(rules.empty_state(), LISTENER_MISSING, 1)
	state, *_ = rules.observe(state, LISTENER_MISSING, 31)
	assert state["areas"]["inbound"] == {"since": 31, "cause": "listener", "reason": "no Telegram listener is running"}
	state = rules.empty_state()
	for t in (1, 2, 3):
		state, *_ = rules.observe(state, NETWORK, t, ["inbound"])
	assert state["areas"]["inbound"] == {"since": 3, "cause": "network", "reason": ""}


def test_a_flood_wait_without_its_length_counts_for_nothing():
	assert rules.observe(rules.empty_state(), FLOOD, 1, ["outbound"]) == (rules.empty_state(), [], [])


def test_an_unknown_signal_changes_nothing():
	state, _ = run([(NETWORK, 1, ["outbound"])])
	assert rules.observe(state, "typing", 2, ["outbound"]) == (state, [], [])
