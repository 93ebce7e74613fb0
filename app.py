"""The Xinhui grassroots-governance web app: ``solara run app.py`` (or ``make app``, ``govsim app``)."""

from sim.viz import Page

__all__ = ["Page"]
