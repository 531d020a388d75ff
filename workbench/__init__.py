"""log-workbench: the headless core (never imports textual)."""
