"""Imports from files people upload: `accounts` and `invoices` CSV importers."""
