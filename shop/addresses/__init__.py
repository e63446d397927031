"""Addresses: what each country's address form asks for, and its rules (`rules`)."""
