"""First-run set-up (`python app.py init`): the wizard, its answers and the files it writes."""
