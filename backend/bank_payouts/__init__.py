"""A period's bank lines paid by transfer: the payment file for the company's bank, the bank's
statement matched back to the lines, and the matched lines attested on chain (`attestBatch`)
through the one chain-job queue."""
