"""Imports from files people export from spreadsheets and other systems."""
