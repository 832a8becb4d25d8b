"""SQL only: tables in `tables/<domain>.py` (re-exported by `models`), queries per domain
in `<domain>.py`, the stored vocabulary in `vocab`, the database and its units of work in
`db`, migrations under `migrations/` (docs/ARCHITECTURE.md, *Where things go*)."""
