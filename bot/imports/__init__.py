"""CSV imports (accounts, invoices): bad rows named by line, good rows kept."""
