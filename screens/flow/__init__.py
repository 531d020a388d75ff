"""The seven flow screens, one per onboarding step, and their shared base class."""
