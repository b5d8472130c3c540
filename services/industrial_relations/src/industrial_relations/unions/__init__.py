"""Trade unions (serikat pekerja/serikat buruh)."""
