"""The Bolt edge: listeners grouped by Slack surface under `listeners/` (commands, actions,
views, events, options, shortcuts, App Home, workflow step), the shared `acting` plumbing
(ack first, who acted, refusals), the web app and its webhooks. Thin: parse, call one
service, answer (docs/ARCHITECTURE.md, *Where things go*)."""
