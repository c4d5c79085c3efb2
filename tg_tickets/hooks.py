# Wiring only: every behaviour named here lives in the module it points to.
app_name = "tg_tickets"
app_title = "TG Tickets"
app_publisher = "tg_tickets"
app_description = "Telegram-native helpdesk for the Frappe desk"
app_email = "dev@tg-tickets.invalid"
app_license = "MIT"
required_apps = ["frappe"]

after_install = "tg_tickets.install.after_install"
after_migrate = "tg_tickets.install.after_migrate"
before_uninstall = "tg_tickets.install.before_uninstall"
