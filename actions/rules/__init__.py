"""Adaptive rules: per tenant and action code, ordered rules whose conditions on the tracked
context decide the action's outcome instead of the action code's default.

- ``engine``: the condition grammar, its validation and the evaluator — pure Python, no
  database, so it can be tested exhaustively.
- ``selectors``: the rules of an action code (cached in process memory for a few seconds) and
  ``rules_decide``, the one call tracking makes; the facts about a user that rules may ask.
- ``services``: creating, changing and deleting rules, always validated.
"""
