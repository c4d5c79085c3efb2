"""Whitelisted endpoints the desk UI calls, one module per noun (ticket, chat). Every call is permission-checked."""
