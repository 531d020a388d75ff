"""Hostile inputs and faults: a suite proving nothing crashes, nothing is injected, nothing is lost (issue 9)."""
