"""Partners' public cards: the card (alias, shown contacts, pitch blocks, free text and its
review), the company-approved pitch blocks, the earnings-claim check, and the public sign-up."""
