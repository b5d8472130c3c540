"""Vacancies (lowongan kerja) posted by employers through the regional labour office."""
