"""Modal screens: confirmations, detail views, help, pickers and patch dialogs."""
