"""Payment providers (Stripe, offline demo) and Stripe webhooks."""
