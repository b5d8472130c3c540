"""Workplace accidents (kecelakaan kerja) and their victims."""
