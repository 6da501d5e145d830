"""GitHub: the PyGithub client from settings and the docs publisher over the Git Data API."""
