"""The first-day setup checklist: Frappe's Module Onboarding in the Tickets workspace, each step done or not
from the site's real state (checklist.py)."""
