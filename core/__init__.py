"""What both setups share and that imports neither: the ports (`Store`, `SearchEngine`),
text folding and words, ranking, typos, keys, the one search flow and the SQL both stores run."""
