"""Reusable widgets of the workbench screens (one module per widget)."""
