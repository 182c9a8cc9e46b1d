"""Campaign reference data: townships, villages, hospitals, phases, targets."""
