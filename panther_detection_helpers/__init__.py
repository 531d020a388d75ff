"""A compatible stand-in for Panther's `panther_detection_helpers`, written for log-workbench.

Only used when the real package is not installed. `caching` keeps its state in memory (per rule worker
process) instead of DynamoDB, so rules that count or remember things work locally without AWS.
"""
