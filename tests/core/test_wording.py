from workbench.wording import plural


def test_one_is_singular_and_every_other_count_plural() -> None:
    assert plural(1, "rule") == "1 rule"
    assert plural(21, "rule") == "21 rules"
    assert plural(0, "record") == "0 records"
    assert plural(-1, "field") == "-1 fields"


def test_counts_get_thousands_separators() -> None:
    assert plural(1204, "record") == "1,204 records"


def test_irregular_plural_and_multi_word_nouns() -> None:
    assert plural(1, "prefix", "prefixes") == "1 prefix"
    assert plural(6, "prefix", "prefixes") == "6 prefixes"
    assert plural(2, "entry", "entries") == "2 entries"
    assert plural(3, "invalid rule file") == "3 invalid rule files"
