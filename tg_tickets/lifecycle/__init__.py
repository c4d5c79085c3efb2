"""Lifecycle automation: auto-close with a warning, customer ratings, sentiment of customer messages.

Talks to the rest of the app only through tickets/ services and hooks.py events (never telegram/, sla/ or
routing/ directly)."""
