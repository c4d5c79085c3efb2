# Wiring only: every behaviour named here lives in the module it points to.
app_name = "tg_tickets"
app_title = "TG Tickets"
app_publisher = "tg_tickets"
app_description = "Telegram-native helpdesk for the Frappe desk"
app_email = "dev@tg-tickets.invalid"
app_license = "MIT"

after_install = ["tg_tickets.install.after_install", "tg_tickets.privacy.retention.ensure_link_indexes"]
after_migrate = [
	"tg_tickets.install.after_migrate",
	# every per-ticket Link column indexed, so retention's batches never scan (tg_tickets/privacy/retention.py)
	"tg_tickets.privacy.retention.ensure_link_indexes",
]
before_uninstall = "tg_tickets.install.before_uninstall"
# `bench run-tests` prepares the site as Frappe's own hook does on a Frappe-only site (tg_tickets/install.py)
before_tests = "tg_tickets.install.before_tests"

# --- permissions (tg_tickets/permissions.py) ---
permission_query_conditions = {
	"Ticket": "tg_tickets.permissions.ticket_query_conditions",
	"Telegram Message": "tg_tickets.permissions.ticket_child_query_conditions",
	# ticket admins may customise the ticket doctypes only (tg_tickets/extends/customization.py)
	"Custom Field": "tg_tickets.extends.customization.customization_query_conditions",
	"Property Setter": "tg_tickets.extends.customization.customization_query_conditions",
	# SLA records belong to tickets: they vanish with them (tg_tickets/sla/)
	"SLA Notification": "tg_tickets.permissions.ticket_child_query_conditions",
	"Ticket Status Log": "tg_tickets.permissions.ticket_child_query_conditions",
	"Ticket Rating": "tg_tickets.permissions.ticket_child_query_conditions",
	"Escalation Log": "tg_tickets.permissions.ticket_child_query_conditions",
	# a user's notification preferences are theirs (admins see all) (tg_tickets/notify/preferences.py)
	"Agent Notification Preferences": "tg_tickets.notify.preferences.query_conditions",
	# faster answers (tg_tickets/replies/): canned responses by scope; sent articles belong to tickets
	"Canned Response": "tg_tickets.replies.responses.query_conditions",
	"Knowledge Base Article Send": "tg_tickets.permissions.ticket_child_query_conditions",
	# audit and retention (tg_tickets/privacy/): the audit trail for admins and owners, retention for owners
	"Ticket View": "tg_tickets.privacy.audit.audit_query_conditions",
	"Retention Policy": "tg_tickets.privacy.retention.owner_query_conditions",
	"Retention Run": "tg_tickets.privacy.retention.owner_query_conditions",
	"Erasure Request": "tg_tickets.privacy.retention.owner_query_conditions",
	# support figures: admins and owners see everyone's, members their own (tg_tickets/analytics/access.py)
	"Ticket Metrics": "tg_tickets.analytics.access.query_conditions",
}
has_permission = {
	"Ticket": "tg_tickets.permissions.has_ticket_permission",
	"Telegram Message": "tg_tickets.permissions.has_ticket_child_permission",
	"Customize Form": "tg_tickets.extends.customization.has_customization_permission",
	"Custom Field": "tg_tickets.extends.customization.has_customization_permission",
	"Property Setter": "tg_tickets.extends.customization.has_customization_permission",
	"SLA Notification": "tg_tickets.permissions.has_ticket_child_permission",
	"Ticket Status Log": "tg_tickets.permissions.has_ticket_child_permission",
	"Ticket Rating": "tg_tickets.permissions.has_ticket_child_permission",
	"Escalation Log": "tg_tickets.permissions.has_ticket_child_permission",
	"Agent Notification Preferences": "tg_tickets.notify.preferences.has_permission",
	"Canned Response": "tg_tickets.replies.responses.has_permission",
	"Knowledge Base Article Send": "tg_tickets.permissions.has_ticket_child_permission",
	"Ticket View": "tg_tickets.privacy.audit.has_view_permission",
	"Retention Policy": "tg_tickets.privacy.retention.has_owner_permission",
	"Retention Run": "tg_tickets.privacy.retention.has_owner_permission",
	"Erasure Request": "tg_tickets.privacy.retention.has_owner_permission",
	# Frappe's history and access log rows about tickets are audit rows: never written or deleted by anyone
	"Version": "tg_tickets.privacy.audit.has_audit_permission",
	"Access Log": "tg_tickets.privacy.audit.has_audit_permission",
	"Ticket Metrics": "tg_tickets.analytics.access.has_permission",
}

# --- how domains react to tickets: Frappe's document events (each runs after the Ticket controller's method) ---
doc_events = {
	"Ticket": {
		# SLA (tg_tickets/sla/tracking.py): stored values kept unless changed, the clock recomputed on every save,
		# the status history written, the SLA records removed with the ticket
		# routing (tg_tickets/routing/assign.py): a new ticket enters its team's queue and, under an automatic
		# model, gets its agent in the same insert; open counts follow the holder; waiting/held times are kept;
		# nobody is handed a ticket while Away/Offline or full, whichever way
		"before_insert": "tg_tickets.routing.assign.before_ticket_insert",
		"before_validate": [
			"tg_tickets.sla.tracking.before_validate",
			"tg_tickets.routing.assign.keep_waiting_since",
		],
		"validate": [
			"tg_tickets.sla.tracking.before_save",
			"tg_tickets.routing.assign.check_new_holder",
			# lifecycle (tg_tickets/lifecycle/auto_close.py): a SOLVED ticket's warning and close are planned,
			# a CLOSED one's reopen window starts
			"tg_tickets.lifecycle.auto_close.before_ticket_save",
			# a closed ticket's rating request is scheduled (tg_tickets/lifecycle/ratings.py)
			"tg_tickets.lifecycle.ratings.before_ticket_save",
			# escalation rules: the next look at the ticket; who may switch them off (lifecycle/escalation.py)
			"tg_tickets.lifecycle.escalation.before_ticket_save",
		],
		"on_update": [
			"tg_tickets.sla.tracking.after_save",
			# a forum topic per ticket, closed and reopened with it (tg_tickets/telegram/topics.py)
			"tg_tickets.telegram.topics.on_ticket_update",
			# who holds the ticket: history line, ToDo and bell (tg_tickets/tickets/assignment.py)
			"tg_tickets.tickets.assignment.after_ticket_save",
			"tg_tickets.routing.assign.after_ticket_change",
			"tg_tickets.lifecycle.ratings.after_ticket_save",
			# the ticket's support figures, after the SLA wrote its status history (tg_tickets/analytics/)
			"tg_tickets.analytics.tracking.on_ticket_update",
		],
		"on_trash": [
			"tg_tickets.sla.tracking.on_ticket_trash",
			"tg_tickets.routing.assign.on_ticket_trash",
			"tg_tickets.lifecycle.ratings.on_ticket_trash",
			"tg_tickets.lifecycle.escalation.on_ticket_trash",
			"tg_tickets.notify.deliver.on_ticket_trash",
			"tg_tickets.analytics.tracking.on_ticket_trash",
		],
		"after_insert": "tg_tickets.telegram.topics.on_ticket_insert",
		# the full form opened the ticket: a view in the audit trail (tg_tickets/privacy/audit.py)
		"onload": "tg_tickets.privacy.audit.on_ticket_form_load",
	},
	# audit rows about tickets are immutable; only retention removes them (tg_tickets/privacy/audit.py)
	"Version": {
		"validate": "tg_tickets.privacy.audit.refuse_ticket_audit_change",
		"on_trash": "tg_tickets.privacy.audit.refuse_ticket_audit_change",
	},
	"Access Log": {
		"validate": "tg_tickets.privacy.audit.refuse_ticket_audit_change",
		"on_trash": "tg_tickets.privacy.audit.refuse_ticket_audit_change",
	},
	# a customer's rating joins the ticket's figures (tg_tickets/analytics/tracking.py)
	"Ticket Rating": {
		"after_insert": "tg_tickets.analytics.tracking.on_rating_change",
		"after_delete": "tg_tickets.analytics.tracking.on_rating_change",
	},
	# Frappe's "Assign To" on a ticket moves the ticket's assignee (tg_tickets/tickets/assignment.py)
	"ToDo": {
		"after_insert": "tg_tickets.tickets.assignment.after_todo_insert",
		"on_update": "tg_tickets.tickets.assignment.after_todo_update",
	},
	# Frappe's own mention on a ticket follows the user's preferences for mentions: bell, e-mail (now or after
	# quiet hours) and Telegram (tg_tickets/notify/)
	"Notification Log": {
		"before_insert": "tg_tickets.notify.deliver.before_mention_insert",
		"after_insert": "tg_tickets.notify.deliver.on_mention",
	},
	# an agent's private chat with the bot exists from the moment the account is linked
	"Telegram Agent": {
		"on_update": "tg_tickets.telegram.agents.on_agent_linked",
	},
	# comments and files on tickets (tg_tickets/tickets/activity.py)
	"Comment": {
		"before_insert": "tg_tickets.tickets.activity.before_comment_insert",
		"validate": "tg_tickets.tickets.activity.before_comment_save",
		"after_insert": "tg_tickets.tickets.activity.after_comment_change",
		"on_update": "tg_tickets.tickets.activity.after_comment_change",
		"on_trash": "tg_tickets.tickets.activity.before_comment_delete",
		"after_delete": "tg_tickets.tickets.activity.after_comment_change",
	},
	"File": {
		"before_insert": "tg_tickets.tickets.activity.before_file_insert",
		"after_insert": "tg_tickets.tickets.activity.after_file_change",
		"on_trash": "tg_tickets.tickets.activity.before_file_delete",
		"after_delete": "tg_tickets.tickets.activity.after_file_change",
	},
}

# --- Frappe's list and search endpoints, made ticket-aware (tg_tickets/overrides/) ---
override_whitelisted_methods = {
	"frappe.utils.global_search.search": "tg_tickets.overrides.global_search.search",
	"frappe.desk.reportview.get": "tg_tickets.overrides.reportview.get",
	"frappe.desk.reportview.get_list": "tg_tickets.overrides.reportview.get_list",
	"frappe.desk.reportview.get_count": "tg_tickets.overrides.reportview.get_count",
	"frappe.desk.listview.get_group_by_count": "tg_tickets.overrides.reportview.get_group_by_count",
	# the first-day checklist's steps are the site's real state, not clicks (tg_tickets/onboarding/checklist.py)
	"frappe.desk.desktop.get_desktop_page": "tg_tickets.onboarding.checklist.get_desktop_page",
	"frappe.desk.desktop.update_onboarding_step": "tg_tickets.onboarding.checklist.update_onboarding_step",
}

# A deleted ticket keeps its audit trail of views (Frappe would refuse the delete while they link to it).
ignore_links_on_delete = ["Ticket View"]

# Tickets are offered to the awesome bar's global search (Global Search Settings lists the doctypes).
global_search_doctypes = {"Default": [{"doctype": "Ticket"}]}

# --- desk UI (tg_tickets/public, tg_tickets/boot.py) ---
app_include_js = "tg_tickets.bundle.js"
app_include_css = "tg_tickets.bundle.css"
extend_bootinfo = ["tg_tickets.boot.extend_bootinfo", "tg_tickets.api.routing.extend_bootinfo"]
# an agent who logs out takes no new tickets (tg_tickets/routing/availability.py)
on_logout = "tg_tickets.routing.availability.on_logout"

# --- scheduled work ---
scheduler_events = {
	# SLA (tg_tickets/sla/): the minute sweep hands due tickets to RQ jobs
	"cron": {
		"* * * * *": [
			"tg_tickets.sla.sweep.run",
			# routing (tg_tickets/routing/): idle agents go Offline, waiting tickets go to agents with room
			"tg_tickets.routing.availability.go_offline_when_idle",
			"tg_tickets.routing.assign.drain_all",
			"tg_tickets.routing.assign.return_unanswered",
			# lifecycle (tg_tickets/lifecycle/): solved tickets due for their warning or close
			"tg_tickets.lifecycle.auto_close.run",
			"tg_tickets.lifecycle.ratings.run",
			"tg_tickets.lifecycle.escalation.run",
			# notifications held by quiet hours or a burst go out as one summary (tg_tickets/notify/)
			"tg_tickets.notify.deliver.flush",
			# outage mode (tg_tickets/tickets/outage.py): is a listener holding the lock?
			"tg_tickets.telegram.health.check_listener",
		],
	},
	# Telegram (tg_tickets/telegram/): RQ jobs may be lost, the inbox and outbox are not;
	# these sweeps re-enqueue what is left.
	"all": [
		"tg_tickets.telegram.inbox.sweep",
		"tg_tickets.telegram.delivery.retry_sweep",
	],
	# retention policies run nightly, each in its own job, batch by batch (tg_tickets/privacy/retention.py)
	"daily": ["tg_tickets.privacy.retention.run_nightly"],
	# analytics' day summaries all built again (tg_tickets/analytics/days.py)
	"daily_long": ["tg_tickets.analytics.days.rebuild_nightly"],
}

# --- the app's own events (tg_tickets/tickets/events.py): one domain's news, the others' reactions ---
tg_tickets_on_agent_reply_sent = [
	"tg_tickets.sla.tracking.record_first_response",
	# the ticket's figures (first response, replies, handle time) after the SLA stamped its first response
	"tg_tickets.analytics.tracking.on_agent_reply_sent",
]
tg_tickets_on_agent_reply_queued = ["tg_tickets.telegram.topics.mirror_agent_reply"]
tg_tickets_on_customer_message = ["tg_tickets.telegram.topics.mirror_customer_message"]
tg_tickets_on_outbox_queued = ["tg_tickets.telegram.delivery.schedule_chats"]
tg_tickets_alert_agents = ["tg_tickets.telegram.agents.alert_agents"]
# who may take a ticket (user, "claim" | "assign"): raise to refuse; routing refuses agents who are not
# Online or are full (tg_tickets/tickets/assignment.py emits both)
tg_tickets_check_assignee = ["tg_tickets.routing.agents.check_assignee"]
# who took it (ticket doc, previous assignee, reason): the ticket's forum topic says so
tg_tickets_on_ticket_assigned = ["tg_tickets.telegram.topics.on_ticket_assigned"]
# an inline button Telegram's edge does not handle (chat, data, sender_id): the domain that made it answers
tg_tickets_on_button_pressed = [
	"tg_tickets.lifecycle.auto_close.on_button_pressed",
	"tg_tickets.lifecycle.ratings.on_button_pressed",
]
# a private message while the chat has no open ticket (chat, text): a rating's comment is taken by ratings
tg_tickets_claim_customer_reply = ["tg_tickets.lifecycle.ratings.on_customer_reply"]
# customers' texts scored as they are stored, and each ticket's trend kept (tg_tickets/lifecycle/sentiment_trend.py)
tg_tickets_customer_text_sentiment = ["tg_tickets.lifecycle.sentiment_trend.score_texts"]
tg_tickets_on_customer_messages_stored = [
	"tg_tickets.lifecycle.sentiment_trend.update_trends",
	"tg_tickets.lifecycle.escalation.mark_due",
	# the assignee hears of new customer messages (tg_tickets/notify/deliver.py)
	"tg_tickets.notify.deliver.on_customer_messages",
]
# an edited customer message was scored again: the trend is rebuilt, escalation looks again
tg_tickets_on_customer_scores_changed = [
	"tg_tickets.lifecycle.sentiment_trend.rebuild_trends",
	"tg_tickets.lifecycle.escalation.mark_rescored_due",
	# the ticket's figures take the rebuilt trend (tg_tickets/analytics/tracking.py)
	"tg_tickets.analytics.tracking.on_ticket_messages_stored",
]
# an inbox batch stored messages on these tickets: their figures follow, once per batch (tg_tickets/analytics/)
tg_tickets_on_ticket_messages_stored = ["tg_tickets.analytics.tracking.on_ticket_messages_stored"]
# the SLA sweep wrote SLA states in bulk (no save): the tickets' figures follow (SLA met / breached)
tg_tickets_on_sla_fields_stored = ["tg_tickets.analytics.tracking.on_sla_fields_stored"]
# tickets deleted in bulk (retention, erasure): the days they counted in are summarised again
tg_tickets_on_tickets_deleting = ["tg_tickets.analytics.tracking.on_tickets_deleting"]
# the system closed SOLVED tickets in bulk, without saves (tg_tickets/tickets/bulk_close.py, auto-close): each
# domain does for all of them what its Ticket doc_events do on a close, in the doc_events' order
tg_tickets_on_tickets_closed_by_system = [
	"tg_tickets.sla.tracking.on_tickets_closed",
	"tg_tickets.routing.assign.on_tickets_closed",
	"tg_tickets.lifecycle.auto_close.on_tickets_closed",
	"tg_tickets.lifecycle.ratings.on_tickets_closed",
	"tg_tickets.lifecycle.escalation.on_tickets_closed",
	"tg_tickets.telegram.topics.on_tickets_closed",
	"tg_tickets.analytics.tracking.on_tickets_closed",
]
# The Ticket save handlers (doc_events of Ticket and "*") that event stands in for on a system close of a SOLVED
# ticket: each has its handler above, or does nothing on such a close (same assignee, same chats, nobody's
# queue changes; Frappe's handlers act only for automations that bulk_close checks are absent). A handler not
# listed here (a new one, another app's) makes auto-close save ticket by ticket again until it is considered.
tg_tickets_covered_by_bulk_close = [
	"tg_tickets.sla.tracking.before_validate",
	"tg_tickets.routing.assign.keep_waiting_since",
	"tg_tickets.sla.tracking.before_save",
	"tg_tickets.routing.assign.check_new_holder",
	"tg_tickets.lifecycle.auto_close.before_ticket_save",
	"tg_tickets.lifecycle.ratings.before_ticket_save",
	"tg_tickets.lifecycle.escalation.before_ticket_save",
	"tg_tickets.sla.tracking.after_save",
	"tg_tickets.telegram.topics.on_ticket_update",
	"tg_tickets.tickets.assignment.after_ticket_save",
	"tg_tickets.routing.assign.after_ticket_change",
	"tg_tickets.lifecycle.ratings.after_ticket_save",
	"tg_tickets.analytics.tracking.on_ticket_update",
	"frappe.desk.notifications.clear_doctype_notifications",
	"frappe.workflow.doctype.workflow_action.workflow_action.process_workflow_actions",
	"frappe.core.doctype.file.utils.attach_files_to_document",
	"frappe.automation.doctype.assignment_rule.assignment_rule.apply",
	"frappe.automation.doctype.assignment_rule.assignment_rule.update_due_date",
	"frappe.core.doctype.user_type.user_type.apply_permissions_for_non_standard_user_type",
	"frappe.social.doctype.energy_point_rule.energy_point_rule.process_energy_points",
	"frappe.automation.doctype.milestone_tracker.milestone_tracker.evaluate_milestone",
]
# a command typed in a ticket's forum topic (ticket, user, text): /escalate reason
tg_tickets_on_topic_command = ["tg_tickets.lifecycle.escalation.on_topic_command"]
# agent notifications by each user's preferences: channels, quiet hours, bursts (tg_tickets/notify/)
tg_tickets_notify_agents = ["tg_tickets.notify.deliver.notify_agents"]
tg_tickets_notification_channels = ["tg_tickets.notify.deliver.channels"]
tg_tickets_hold_notifications_for_later = ["tg_tickets.notify.deliver.hold_for_later"]
# hours after a moment in an SLA policy's business hours (policy, start, hours): auto-close counts with it
tg_tickets_business_time_after = ["tg_tickets.sla.tracking.business_time_after"]
# business seconds between two moments under a policy (policy, start, end): analytics' business-hour figures
tg_tickets_business_seconds_between = ["tg_tickets.sla.tracking.business_seconds_between"]

# a user opened a ticket in the side sheet (ticket, user, source): the audit trail (tg_tickets/privacy/audit.py)
tg_tickets_on_ticket_viewed = ["tg_tickets.privacy.audit.on_ticket_viewed"]

# --- demo data the Run command loads (tg_tickets/demo.py calls each) ---
tg_tickets_demo_data = [
	"tg_tickets.sla.demo.make_default_policy",
	# teams before any demo ticket exists (the Telegram demo makes the tickets), so they are routed
	"tg_tickets.routing.demo.make_demo_teams",
	# auto-close, ratings and escalation rules (tg_tickets/lifecycle/demo.py)
	"tg_tickets.lifecycle.demo.make_demo_rules",
	"tg_tickets.telegram.demo.make_demo_messages",
	# a few closed demo tickets rated by their customers (the CSAT cards)
	"tg_tickets.lifecycle.demo.make_demo_ratings",
	# canned responses and knowledge-base articles (tg_tickets/replies/demo.py)
	"tg_tickets.replies.demo.make_demo_replies",
]
