"""Employment-expansion programs (perluasan kesempatan kerja) a region runs."""
