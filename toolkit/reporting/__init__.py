"""Reporting: the only package that writes output files."""
