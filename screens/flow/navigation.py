"""One focus model for every screen: Escape leaves an input for the screen's main pane, j/k/g/G move in any
focused list, `/` finds a row in lists that have no filter of their own, `b` folds the side panel, and the
screen adapts to narrow or short terminals. Mixed into `WorkbenchScreen`; the App's priority Escape calls
`leave_input`."""

from __future__ import annotations

from typing import ClassVar

from textual.actions import SkipAction
from textual.binding import Binding
from textual.events import Resize
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Input, OptionList, Select, TextArea, Tree

VIM_KEYS = {"j": "down", "k": "up", "g": "home", "G": "end"}
NARROW = 110  # columns below which a screen gets the `-narrow` class (side panels fold, forms wrap)
SHORT = 32  # rows below which it gets `-short` (decorations such as histograms fold)


def row_texts(widget: Widget) -> list[str] | None:
    """The text of each row of a list widget (what `/` searches), or None for a widget that is not a list."""
    if isinstance(widget, DataTable):
        return [" ".join(str(c) for c in widget.get_row_at(i)) for i in range(widget.row_count)]
    if isinstance(widget, Tree):
        out = []
        for line in range(widget.last_line + 1):
            node = widget.get_node_at_line(line)
            out.append(str(getattr(node.label, "plain", node.label)) if node is not None else "")
        return out
    if isinstance(widget, OptionList):
        prompts = (widget.get_option_at_index(i).prompt for i in range(widget.option_count))
        return [str(getattr(p, "plain", p)) for p in prompts]
    return None


def move_list_cursor(widget: Widget, row: int) -> None:
    if isinstance(widget, DataTable):
        widget.move_cursor(row=row)
    elif isinstance(widget, Tree):
        widget.cursor_line = row
        widget.scroll_to_line(row)
    elif isinstance(widget, OptionList):
        widget.highlighted = row


class FocusModel(Screen):
    """Bindings and actions shared by every flow screen; `MAIN_PANE` is the selector Escape returns to."""

    MAIN_PANE: ClassVar[str | None] = None
    SIDE_PANEL: ClassVar[str | None] = None  # a panel `b` folds/unfolds; folded by default when narrow
    COMPACT_WHEN_SHORT: ClassVar[str | None] = None  # form widgets (Input/Select/Button) that lose borders when short
    FOCUS_BINDINGS: ClassVar = [
        *(Binding(k, f"vim('{k}')", f"Move {v}", show=False) for k, v in VIM_KEYS.items()),
        Binding("slash", "find", "Find", id="find", show=False, tooltip="Find a row of the focused list"),
        Binding("b", "toggle_side", "Side panel", id="side_panel", show=False,
                tooltip="Fold or unfold the side panel (folded by default on a narrow terminal)"),
    ]
    _find_text = ""
    _side_chosen: bool | None = None  # the user's choice with `b`; None: follow the terminal's width

    def on_resize(self, event: Resize) -> None:
        """Adapt to the terminal: classes for the screen's .tcss, and the side panel folded when narrow."""
        narrow = event.size.width < NARROW
        self.set_class(narrow, "-narrow")
        short = event.size.height < SHORT
        self.set_class(short, "-short")
        if self.COMPACT_WHEN_SHORT:  # one row per box instead of three: the lists under the form keep rows
            for widget in self.query(self.COMPACT_WHEN_SHORT):
                widget.compact = short  # type: ignore[attr-defined]  # Input, Select and Button have it
        if self.SIDE_PANEL and self._side_chosen is None:
            self.query_one(self.SIDE_PANEL).display = not narrow

    def action_toggle_side(self) -> None:
        if not self.SIDE_PANEL:
            raise SkipAction()
        panel = self.query_one(self.SIDE_PANEL)
        self._side_chosen = panel.display = not panel.display

    def focus_main(self) -> None:
        if self.MAIN_PANE:
            self.query_one(self.MAIN_PANE).focus()
        else:
            self.set_focus(None)

    def leave_input(self) -> bool:
        """Escape in a text box returns to the main pane (True); anywhere else the screen's own Escape runs.

        Called from the App's priority Escape binding: a screen's own `escape` binding (cancel) would replace
        one declared here, since bindings of the same key merge by class."""
        if isinstance(self.focused, Input | TextArea | Select):
            self.focus_main()
            return True
        return False

    def action_vim(self, key: str) -> None:
        widget = self.focused
        if widget is None or isinstance(widget, Input | TextArea):
            raise SkipAction()
        if isinstance(widget, Tree) and key in "gG":  # Tree binds no Home/End
            move_list_cursor(widget, 0 if key == "g" else widget.last_line)
            return
        if isinstance(widget, DataTable) and key in "gG":  # its Home/End scroll sideways, not to the first/last row
            move_list_cursor(widget, 0 if key == "g" else widget.row_count - 1)
            return
        self.app.simulate_key(VIM_KEYS[key])

    def action_find(self) -> None:
        widget = self.focused
        if widget is None or row_texts(widget) is None:
            raise SkipAction()
        from screens.modals.find import FindScreen

        def found(text: str | None) -> None:
            if not text:
                return
            self._find_text = text
            rows = row_texts(widget) or []
            start = self._cursor_of(widget)
            needle = text.lower()
            for step in range(1, len(rows) + 1):
                i = (start + step) % len(rows)
                if needle in rows[i].lower():
                    move_list_cursor(widget, i)
                    widget.focus()
                    return
            self.app.notify(f"No row contains {text!r}.", severity="warning", markup=False)

        where = str(widget.border_title) if widget.border_title else "the list"
        self.app.push_screen(FindScreen(where, self._find_text), found)

    @staticmethod
    def _cursor_of(widget: Widget) -> int:
        if isinstance(widget, DataTable):
            return widget.cursor_row
        if isinstance(widget, Tree):
            return widget.cursor_line
        if isinstance(widget, OptionList):
            return widget.highlighted if widget.highlighted is not None else -1
        return -1
