"""The app shell: the session and its messages, the screen registry, palette commands, the worker executor,
safe text and the unsaved-work registry."""
