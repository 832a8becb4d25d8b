"""Imports from files people upload: `csvfile` reads CSV as spreadsheets write it (one
reader for every import), `accounts` and `invoices` are the CSV importers."""
