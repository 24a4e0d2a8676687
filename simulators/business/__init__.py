"""Simulator of the National Business Registration System (Hệ thống thông tin quốc gia về đăng ký doanh nghiệp)."""
