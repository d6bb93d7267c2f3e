"""Matcher: a faust worker that finds complaints sharing an identifier and raises alerts."""
