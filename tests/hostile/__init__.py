"""Builders and runners for the hostile-input corpus (tests/test_hostile_corpus.py)."""
