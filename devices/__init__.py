"""Bound devices, client states, authenticators and device keys."""
