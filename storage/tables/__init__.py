"""Each domain's tables, one module per domain; `storage.models` re-exports them."""
