"""Ticket domain logic: codes, lifecycle rules, counters and search. Controllers delegate here."""
