"""Promotions: pure rules and engine (rules.py, engine.py), plus rows and their loader."""
