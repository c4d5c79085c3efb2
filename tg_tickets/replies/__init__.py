"""Faster answers: canned responses (placeholders, scopes, usage) and the knowledge base (public pages,
suggestions, articles sent). A sibling domain: it uses tickets/ and permissions.py only, never telegram/, sla/
or routing/."""
