"""The people taking part in an employment-expansion program."""
