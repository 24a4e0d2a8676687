"""National Public Service Portal simulator (Cổng Dịch vụ công quốc gia): dossier status sync."""
