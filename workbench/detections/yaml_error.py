"""The error of a spec file that is not valid YAML, apart from the loader (yaml12.py) so that a run whose
specs all come from the parse cache never imports PyYAML (~11 ms of `rules test`)."""


class YamlError(ValueError):
    """A file that is not valid YAML; the message names file:line:col."""
