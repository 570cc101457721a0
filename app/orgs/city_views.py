"""City pages of the bureaus' organisations: none yet (the city reads a bureau's tree on
the bureau's own pages, as a reader; the per-bureau branch figures come with the roll-up)."""
