"""Jobs of the meeting ledger: none (a ledger page reads one unit's year)."""
