"""Dated exchange rates kept by finance: entered one by one or imported from the Central Bank
of Russia's daily XML file, read by period compute (`latest_rates`)."""
