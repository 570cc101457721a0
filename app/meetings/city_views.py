"""City pages of the meetings: none (the city reads a branch's ledger on the bureau's
pages, as a reader)."""
