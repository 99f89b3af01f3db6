"""What the policy owners learn from the hotline: the question log, operators' flags, the
knowledge-gaps inbox and the analytics behind the policy-owner console.

Kept apart from `govbot.records` so that the knowledge engine can write the question log
without depending on the operational records (`tables` and `questions` import neither).
"""
