"""Benchmarks of Recognize against gunicorn, PostgreSQL and Redis (`make bench`)."""
