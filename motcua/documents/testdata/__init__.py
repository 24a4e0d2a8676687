"""Synthetic scans for the digitization tests and benchmark (see ``generator``)."""
