"""The shopper's cart: rows, the cart service, cart pages and the JSON cart API."""
