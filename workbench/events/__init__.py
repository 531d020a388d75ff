"""Records → events: the one pipeline every command and screen uses (fetch, decode, route by prefix, parse),
and the filter language of the Events and Live screens."""
