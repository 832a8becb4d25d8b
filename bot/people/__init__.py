"""People: who someone is in Slack and what they may do. `directory` resolves policy
references and keeps each user's standing (`standing`: active, deactivated, bot, another
organisation), `team` resolves the policy's roles to real people, `access` is the rule book
every service reads before it changes anything (docs/access.md)."""
