# Wiring only: every behaviour named here lives in the module it points to.
app_name = "tg_tickets"
app_title = "TG Tickets"
app_publisher = "tg_tickets"
app_description = "Telegram-native helpdesk for the Frappe desk"
app_email = "dev@tg-tickets.invalid"
app_license = "MIT"

after_install = "tg_tickets.install.after_install"
after_migrate = "tg_tickets.install.after_migrate"
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
}
has_permission = {
	"Ticket": "tg_tickets.permissions.has_ticket_permission",
	"Telegram Message": "tg_tickets.permissions.has_ticket_child_permission",
	"Customize Form": "tg_tickets.extends.customization.has_customization_permission",
	"Custom Field": "tg_tickets.extends.customization.has_customization_permission",
	"Property Setter": "tg_tickets.extends.customization.has_customization_permission",
	"SLA Notification": "tg_tickets.permissions.has_ticket_child_permission",
	"Ticket Status Log": "tg_tickets.permissions.has_ticket_child_permission",
}

# --- how domains react to tickets: Frappe's document events (each runs after the Ticket controller's method) ---
doc_events = {
	"Ticket": {
		# SLA (tg_tickets/sla/tracking.py): stored values kept unless changed, the clock recomputed on every save,
		# the status history written, the SLA records removed with the ticket
		"before_validate": "tg_tickets.sla.tracking.before_validate",
		"validate": "tg_tickets.sla.tracking.before_save",
		"on_update": [
			"tg_tickets.sla.tracking.after_save",
			# a forum topic per ticket, closed and reopened with it (tg_tickets/telegram/topics.py)
			"tg_tickets.telegram.topics.on_ticket_update",
		],
		"on_trash": "tg_tickets.sla.tracking.on_ticket_trash",
		"after_insert": "tg_tickets.telegram.topics.on_ticket_insert",
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
}

# Tickets are offered to the awesome bar's global search (Global Search Settings lists the doctypes).
global_search_doctypes = {"Default": [{"doctype": "Ticket"}]}

# --- desk UI (tg_tickets/public, tg_tickets/boot.py) ---
app_include_js = "tg_tickets.bundle.js"
app_include_css = "tg_tickets.bundle.css"
extend_bootinfo = "tg_tickets.boot.extend_bootinfo"

# --- scheduled work ---
scheduler_events = {
	# SLA (tg_tickets/sla/): the minute sweep hands due tickets to RQ jobs
	"cron": {
		"* * * * *": ["tg_tickets.sla.sweep.run"],
	},
	# Telegram (tg_tickets/telegram/): RQ jobs may be lost, the inbox and outbox are not;
	# these sweeps re-enqueue what is left.
	"all": [
		"tg_tickets.telegram.inbox.sweep",
		"tg_tickets.telegram.delivery.retry_sweep",
	],
}

# --- the app's own events (tg_tickets/tickets/events.py): one domain's news, the others' reactions ---
tg_tickets_on_agent_reply_sent = ["tg_tickets.sla.tracking.record_first_response"]
tg_tickets_on_agent_reply_queued = ["tg_tickets.telegram.topics.mirror_agent_reply"]
tg_tickets_on_customer_message = ["tg_tickets.telegram.topics.mirror_customer_message"]
tg_tickets_on_outbox_queued = ["tg_tickets.telegram.delivery.schedule_chats"]
tg_tickets_alert_agents = ["tg_tickets.telegram.agents.alert_agents"]

# --- demo data the Run command loads (tg_tickets/demo.py calls each) ---
tg_tickets_demo_data = [
	"tg_tickets.sla.demo.make_default_policy",
	"tg_tickets.telegram.demo.make_demo_messages",
]
