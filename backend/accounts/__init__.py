"""Accounts: users, login and its throttle."""
