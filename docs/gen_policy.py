"""The policy reference page (placeholder until the generator lands)."""


def policy_reference() -> str:
    """The page's Markdown."""
    sections = ("escalation", "offers.approval", "dunning.steps", "turnover.plans")
    return "# Policy reference\n\n" + "".join(f"## {s}\n\n" for s in sections)
