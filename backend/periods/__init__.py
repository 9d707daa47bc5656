"""Periods: the calendar and state machine, compute (maker) and approval (checker), the period
package snapshot, statements, and the bookkeeping of their anchor, funding and payouts.
"""
