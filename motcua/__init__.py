"""MotCua: provincial administrative-procedure information system."""
