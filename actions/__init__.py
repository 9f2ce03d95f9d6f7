"""Tracked actions, their outcome configuration, challenges, tokens and validation."""
