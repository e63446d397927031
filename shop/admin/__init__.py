"""The staff back office: accounts, roles, and (later) one module per area."""
