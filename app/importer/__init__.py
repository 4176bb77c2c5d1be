"""The importer: titles from a sitemap or a feed, for `autocompeter import URL --domain D`.

A feed (RSS 2.0 or Atom) already carries each entry's title and link. A sitemap
(a `urlset`, a `sitemapindex` of them, either maybe gzipped) carries only URLs,
so each page is downloaded (at most `CONCURRENCY` at a time, robots.txt obeyed)
and its `<title>` (or `og:title`) taken; pages that fail are skipped and
listed at the end, as are sitemaps of an index that cannot be read.

Only the source's own host is read (and hosts given with --allow-host). Each
request must be done, body and all, within the timeout; redirects are
followed by hand, each target checked (http(s), host, robots.txt) before it
is asked for. A robots.txt that answers 401, 403 or 5xx, or cannot be read at
all, disallows the whole site (RFC 9309); another 4xx allows it.

Re-running sends only what changed: the `lastmod` (sitemaps), `updated` (Atom)
or `pubDate` (RSS) of each URL sent is kept in a small JSON state file, and a
URL whose date is the same is not downloaded or sent again. Entries without a
date are always sent.

The state also keeps which source sent each URL, so that `--prune` removes the
titles of URLs that left that source, and only those: never a title the owner
added otherwise, nor one another source sent. `--strip-suffix` and
`--strip-prefix` take a text the site puts on every title (" | Docs") off it;
a dry run shows one that most titles share.

Where things are: `download.py` (HTTP GETs, allowed hosts, robots.txt),
`sources.py` (sitemaps and feeds), `titles.py` (a page's title), `state.py`
(what earlier runs sent), `affixes.py` (--strip-prefix/--strip-suffix),
`collect.py` (one import: `collect` -> `Outcome`, then `send` and `remove`).
The command line (`app/cli/importing.py`) calls it, prints and writes the state;
nothing here imports the command line.
"""
