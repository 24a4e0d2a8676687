"""Personal-data protection (Law 91/2025, Decree 356/2025): purposes, masking, subject data export, breaches."""
