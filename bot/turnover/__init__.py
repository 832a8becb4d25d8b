"""Main-contact turnover: a departed champion as a risk with its own playbook.

answers.py holds the questions and their enum answers, plan.py the rules that turn answers
into an action plan (and the risk level, progress and time at risk), policy.py the
`[[turnover.plans]]` entries a team adds. docs/turnover.md.
"""
