"""Turnover: the main-contact turnover playbook (room reserved)."""
