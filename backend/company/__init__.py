"""The company's own settings that an admin may change at run time (over the environment's)."""
