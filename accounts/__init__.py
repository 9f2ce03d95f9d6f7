"""Tenants, their API keys, and the end users they authenticate."""
