"""Indicators: the catalogue (as data), query parameters and values computed at read time."""
