"""VAT: dated rates per country and category, and the split of a VAT-inclusive line."""
