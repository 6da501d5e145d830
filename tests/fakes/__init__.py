"""Loopback fakes of the platforms govbot talks to, driven by their unmodified clients."""
