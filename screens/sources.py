"""placeholder"""
from screens.base import WorkbenchScreen


class SourcesScreen(WorkbenchScreen):
    pass
