"""Checkout: the shopper's details, order placement and stock reservation."""
