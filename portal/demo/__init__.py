"""Demonstration data for `flask seed demo`: synthetic people on both rosters, a register of
holders, one user per role and a living campaign around today, all through the services an
official's click goes through. The top of the layers: it may use every area."""
