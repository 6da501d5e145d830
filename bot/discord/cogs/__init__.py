"""One cog per area: RFCs, votes, groups, elections, and accounts with help."""
