"""consult: grassroots consultation (基层协商) with cost sharing, voting and supervision."""

__version__ = "0.1.0"
