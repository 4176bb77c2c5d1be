"""Everything about the search index: text folding, engines, query building."""
