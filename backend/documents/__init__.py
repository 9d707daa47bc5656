"""Partner documents (issue 17): the invoice for an order and the act of services for a
partner's period, issued once, numbered without gaps and kept immutable as data and PDF."""
