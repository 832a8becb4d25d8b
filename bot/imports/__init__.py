"""Imports from files people upload: `accounts` is the accounts CSV importer."""
