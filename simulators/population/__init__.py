"""Simulator of the National Population Database (Cơ sở dữ liệu quốc gia về dân cư)."""
