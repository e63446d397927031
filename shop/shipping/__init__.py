"""Shipping zones, methods and rates staff manage, and the checkout's shipping options."""
