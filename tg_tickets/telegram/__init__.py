"""Telegram sync. Only gateway.py talks to Telethon; everything else works on normalised records."""
