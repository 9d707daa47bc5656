"""Payees: a partner's tax status and payout rail (bank or token), kept as an append-only
history; a period uses the profile in force at its end. Database only, never on chain."""
