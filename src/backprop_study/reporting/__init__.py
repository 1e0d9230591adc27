"""Reporting: figures, Hinton diagrams and the HTML study report, drawn from the tables."""
