"""The event log every other app records into: audit events, webhook endpoints and deliveries
(the outbox), ``event_record()``, the request-context middleware and the admin-audit base.

It sits just above ``accounts`` so that devices, actions and biometrics record what happened
by calling down into it, never up into one another (authentik's ``events`` app is the model).
"""
