"""Bank files: the payment orders the company sends its bank and the statement the bank sends
back, in 1C's client-bank exchange format (``1CClientBankExchange``, version 1.03,
Windows-1251, CRLF), and the match of a statement's executed payments to the payout lines they
pay. Plain dataclasses in and out: this domain knows no period, no partner and no chain."""
