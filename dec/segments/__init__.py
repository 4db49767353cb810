"""Segments for people: profiles, RFM names, plots, the HTML report."""
