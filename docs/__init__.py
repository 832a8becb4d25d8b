"""Documentation helpers: the policy reference generator and the MkDocs hook."""
