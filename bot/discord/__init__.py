"""The Discord front end: slash commands, vote buttons, threads, roles, on discord.py."""
