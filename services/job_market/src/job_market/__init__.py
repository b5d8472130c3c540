"""Job-market service (Informasi Pasar Kerja): job seekers, vacancies and placements."""
