"""Presenters: turn core results into rows and Rich text for the screens; no widgets, no Textual."""
