"""Orders: the frozen record of a sale, its state machine, refunds and e-mails."""
