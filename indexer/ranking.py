"""How titles of equal tier and popularity are ordered, the same on every engine.

A title that has the query's words as whole words ("re compile" → "re.compile")
beats one where they are only beginnings ("compiler"); then a title that
starts with the first query word; then the shorter title.
"""

def closeness(search_text: str, words: tuple[str, ...]) -> tuple[int, bool]:
    """A sort key: smaller is a closer match. ``search_text`` as `indexer.text.search_text`."""
    title_words = search_text.split()
    whole = sum(1 for word in words if word in title_words)
    starts = bool(title_words) and title_words[0].startswith(words[0])
    return -whole, not starts
