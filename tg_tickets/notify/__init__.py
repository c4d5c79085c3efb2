"""Agent notifications: each user's preferences (type × channel, quiet hours, bursts) and their delivery to
the desk bell (Frappe's Notification Log), e-mail (Frappe's notification e-mail) and Telegram DMs (through
the ALERT_AGENTS event). Other domains reach it through the hub's NOTIFY_AGENTS and NOTIFICATION_CHANNELS
events, never by import."""
