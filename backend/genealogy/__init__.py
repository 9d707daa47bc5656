"""Genealogy: distributors, enrollment, placement in the tree, the holding tank, downline reads."""
