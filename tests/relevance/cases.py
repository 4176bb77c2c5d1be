"""The relevance cases: a query on a corpus, and what a user would want at the top.

Expectations were chosen by asking what a person typing the query wants, then
checked against the embedded engine. Where the engine disagrees and the case
is believed right, the case stays and carries ``xfail=<reason>``.

Names are short names for URLs (see corpora.py): a blog slug, a film's
Wikipedia article, a demo `module.name`, a mini path. Kinds: ``first``,
``top`` (set within the top n), ``ordered`` (exact order of the first k),
``none`` (no results); see case.py.
"""

from .case import Case, first, none, ordered, top

# Reasons shared by several expected failures (engine problems, see the report).
WHOLE_WORD = (
    "tiers come before whole words: 'compiler returns' is the in-order phrase "
    "'compile* re*' (tier 1), so it beats re.compile, which has both words only in "
    "the other order (tier 2); whole words only break ties within a tier")
# Known gaps of a whole setup: (categories, reason). Cases of those categories
# are expected to fail on that setup only.
# (None now: the scaled engine has the typo tier too, see scaled/vocabulary.py.)
SETUP_GAPS: dict[str, tuple[frozenset[str], str]] = {}


def expected_failure(case: Case, setup: str) -> str:
    """Why ``case`` is expected to fail on ``setup``, or "" when it should pass."""
    categories, reason = SETUP_GAPS.get(setup, (frozenset(), ""))
    return reason if case.category in categories else case.xfail


PREMAILER = [
    "premailer-on-python-3", "premailer-now-honours-pecificity",
    "premailer-100percent-coverage", "premailer-now-excludes-pseudo-selectors-by-default",
    "premailer.py", "run-premailer.py",
]
ANGULAR = [
    "do-you-like-angular-classy", "what-stumped-me-about-angularjs",
    "advanced-live-search-with-angularjs", "an-angularjs-directive-with-itself-as-the-attribut",
]
MONGODB = [
    "mongouk-2011", "mongodb-based-web-app-10-times-faster",
    "running-django-tests-with-mongodb-is-not-slow", "how-and-why-to-use-django-mongokit",
    "using-mongodb-in-your-django-app",
]
HUNGER_GAMES = [
    "The_Hunger_Games:_Mockingjay_\u2013_Part_1", "The_Hunger_Games_(film_series)",
    "The_Hunger_Games:_Catching_Fire",
]
KUNG_FU_FIRST = [
    "blogitem-20031121-1630", "twickenham-kung-fu", "kung-fu-in-clapham-with-richard",
    "kung-fu-in-london-east", "blogitem-040616-1", "competition-photos-sutton",
]
POSTGRES_SHORTEST = ["blogitem-040404-1", "list-of-casts", "blogitem-040204-1"]
JURASSIC = ["Jurassic_Park_(film)", "Jurassic_Park"]
NODEJS_POSTS = ["local-nodejs-development-environment-with-nginx", "EditDistanceMatcher"]
SPIDER_MAN = ["The_Amazing_Spider-Man_2", "Spider-Man_(2002_film)"]

CASES: list[Case] = [
    # -- single letters: the most popular title with a word starting with the letter
    first("letter", "movies", "b", "Birdman_(film)",
          "the best-known film with a b-word (listed 8 times) comes first"),
    first("letter", "movies", "t", "The_Theory_of_Everything_(2014_film)",
          "'The' is a t-word, so the most listed such film wins"),
    first("letter", "demo", "r", "re.compile",
          "re.compile is the most used name in the standard library"),
    first("letter", "demo", "w", "warnings.warn",
          "warnings.warn is the most used w-name"),
    first("letter", "blog-recent", "d", "django-html-validator",
          "ranked by recency, the newest post with a d-word comes first"),
    first("letter", "blog-recent", "p", "premailer-on-python-3",
          "ranked by recency, the newest post with a p-word comes first"),
    top("letter", "movies", "g", ["The_Great_Escape_(film)", "The_Grand_Budapest_Hotel"],
        "the two most listed g-films (4 each) share the top two, in either order"),

    # -- prefixes of words
    top("prefix", "blog", "prem", PREMAILER,
        "every premailer post before titles that only match typo corrections of 'prem'"),
    top("prefix", "blog", "angul", ANGULAR,
        "'angul' is the start of 'angular' and 'angularjs'; all four posts"),
    first("prefix", "movies", "interst", "Interstellar_(film)",
          "a half-typed title finds it"),
    top("prefix", "movies", "mock", ["The_Hunger_Games:_Mockingjay_\u2013_Part_1",
                                     "To_Kill_a_Mockingbird_(film)"],
        "both mock-words before typo corrections such as 'mick' or 'monk'"),
    first("prefix", "demo", "namedt", "collections.namedtuple",
          "the popular namedtuple before NamedTemporaryFile"),
    first("prefix", "demo", "subpro", "subprocess.Popen",
          "subprocess.Popen is the most used subprocess name"),
    first("prefix", "movies", "dr", "How_to_Train_Your_Dragon_2",
          "the most listed film with a dr-word beats the Draculas"),

    # -- full words
    first("word", "blog", "crontabber", "crontabber", "the post of that name"),
    first("word", "blog", "hellsongs", "hellsongs", "the post of that name"),
    first("word", "movies", "birdman", "Birdman_(film)", "the film of that name"),
    first("word", "movies", "alien", "Alien_(franchise)", "the film of that name"),
    first("word", "demo", "tempfile", "tempfile", "the module itself, before its functions"),
    first("word", "demo", "namedtuple", "collections.namedtuple",
          "collections.namedtuple is far more used than typing.NamedTuple"),
    first("word", "demo", "abstractmethod", "abc.abstractmethod", "the function of that name"),
    top("word", "demo", "json", ["json"],
        "the json module is among the first three, with its most used functions", n=3),
    top("word", "blog", "java", ["django-vs-java", "blogitem-20031026-1054"],
        "posts about Java itself are among the first three, not only Javascript ones", n=3),

    # -- two words, in the order of the title
    first("two-words", "blog", "premailer py", "premailer.py",
          "'premailer.py' is the in-order phrase; 'Premailer on Python 3' only has both words"),
    first("two-words", "blog", "django static", "django-static-version-1.5",
          "in-order phrase titles first, and of those the one starting with 'django'"),
    top("two-words", "movies", "hunger games", HUNGER_GAMES, "the three Hunger Games films"),
    first("two-words", "demo", "json dumps", "json.dumps", "the function of that name"),
    first("two-words", "demo", "re comp", "re.compile", "re + the start of compile"),
    first("two-words", "demo", "subprocess run", "subprocess.run", "the function of that name"),
    first("two-words", "demo", "functools partial", "functools.partial",
          "partial before partialmethod"),
    first("two-words", "movies", "captain america", "Captain_America:_The_Winter_Soldier",
          "the film of that name"),
    first("two-words", "blog", "django nginx", "local-django-development-with-nginx",
          "both words, shortest title"),
    first("two-words", "movies", "the grand", "The_Grand_Budapest_Hotel",
          "the in-order phrase, most listed"),
    ordered("tiers", "mini", "pyth te", ["/python-testing", "/testing-with-python"],
            "the in-order phrase 'Python testing' beats the 100 times more popular "
            "'Testing with Python': tiers before popularity"),

    # -- two words, out of order
    top("any-order", "movies", "games hunger", HUNGER_GAMES, "word order does not matter"),
    first("any-order", "demo", "dumps json", "json.dumps", "word order does not matter"),
    first("any-order", "blog", "nginx django", "local-django-development-with-nginx",
          "word order does not matter"),
    first("any-order", "movies", "apes planet", "Dawn_of_the_Planet_of_the_Apes",
          "word order does not matter"),
    first("any-order", "demo", "counter collections", "collections.Counter",
          "word order does not matter"),
    first("any-order", "movies", "escape great", "The_Great_Escape_(film)",
          "word order does not matter"),
    first("any-order", "blog", "python sorting", "sorting-mixed-type-lists-in-python-3",
          "word order does not matter"),
    top("any-order", "movies", "carol christmas", ["A_Christmas_Carol_(2009_film)",
                                                   "A_Christmas_Carol_(1938_film)"],
        "both films called A Christmas Carol"),
    first("any-order", "demo", "compile re", "re.compile",
          "someone typing 'compile re' means re.compile, not 'python_compiler — "
          "...compiler returns' which merely contains the phrase 'compile* re*'",
          xfail=WHOLE_WORD),
    ordered("tiers", "mini", "test pyth", ["/testing-with-python", "/python-testing"],
            "now 'Testing with Python' is the in-order phrase and comes first"),

    # -- three words
    first("three-words", "blog", "serve static django",
          "serve-your-static-stuff-in-django-with-nginx", "the one post with all three"),
    first("three-words", "blog", "premailer on python", "premailer-on-python-3",
          "the exact title"),
    first("three-words", "movies", "train your dragon", "How_to_Train_Your_Dragon_2",
          "the in-order phrase"),
    first("three-words", "movies", "dawn planet apes", "Dawn_of_the_Planet_of_the_Apes",
          "three words with gaps between them"),
    first("three-words", "movies", "harry potter stone",
          "Harry_Potter_and_the_Philosopher's_Stone_(film)", "the one Harry Potter with Stone"),
    first("three-words", "movies", "guardians the galaxy", "Guardians_of_the_Galaxy_(film)",
          "a skipped word ('of') still finds the title"),
    first("three-words", "movies", "iron man 3", "Iron_Man_3", "digits are words too"),
    first("three-words", "blog", "10 years of", "10-years-of-blogging", "digits are words too"),

    # -- typos: 4-7 letters one edit, 8+ two, the first letter trusted
    first("typo", "blog-recent", "pythn", "premailer-on-python-3",
          "'pythn' means python; corrected results still follow popularity (recency)"),
    first("typo", "blog-recent", "javasript", "cc-formatter",
          "one letter missing in a 9-letter word; the newest Javascript post"),
    first("typo", "blog-recent", "jvascrit", "cc-formatter",
          "two letters missing in an 8-letter word is within the budget"),
    top("typo", "blog", "premialr", PREMAILER, "a swap and a missing letter in 8 letters"),
    first("typo", "blog-recent", "djnago", "django-html-validator",
          "a swap of neighbours is one edit"),
    first("typo", "blog-recent", "tornaod", "fastestdb", "a swap at the end"),
    top("typo", "blog", "angualr", ANGULAR, "a swap of neighbours"),
    top("typo", "blog", "mongdb", MONGODB, "a missing letter in 6 letters"),
    first("typo", "movies", "godzila", "Godzilla_(2014_film)", "a missing double letter"),
    first("typo", "movies", "interstelar", "Interstellar_(film)", "a missing double letter"),
    first("typo", "movies", "interstelr", "Interstellar_(film)",
          "two letters missing from a 12-letter word, still being typed"),
    first("typo", "movies", "budapset", "The_Grand_Budapest_Hotel", "a swap"),
    first("typo", "movies", "mockinjay", "The_Hunger_Games:_Mockingjay_\u2013_Part_1",
          "a missing letter"),
    first("typo", "movies", "guardains galaxy", "Guardians_of_the_Galaxy_(film)",
          "one mistyped word next to a right one"),
    first("typo", "movies", "wintr soldir", "Captain_America:_The_Winter_Soldier",
          "both words mistyped"),
    top("typo", "movies", "jurrasic park", JURASSIC, "a doubled letter in the wrong place"),
    first("typo", "demo", "argprase", "argparse.ArgumentParser", "a swap in 8 letters"),
    top("typo", "demo", "colections", ["collections"], "a missing letter; the module in the top 3",
        n=3),
    top("typo", "demo", "funtools", ["functools"], "a missing letter; the module in the top 3",
        n=3),
    first("typo", "demo", "warnigns", "warnings.warn", "a swap"),
    top("typo", "demo", "jsno", ["json"], "a swap in a 4-letter word", n=3),
    top("typo", "blog", "postgrse", POSTGRES_SHORTEST,
        "'postgrse' is one swap from 'postgres': PostgreSQL posts (shortest first, as "
        "there is no popularity) before 'Good posture website', two edits away"),
    first("typo", "movies", "birdmann", "Birdman_(film)", "one letter too many"),
    top("typo", "blog", "djangoo", ["django-vs-java", "django-html-validator"],
        "one letter too many; Django posts", n=10),
    top("typo", "blog", "premailers", PREMAILER, "a plural of a word in the titles"),
    first("typo", "mini", "respones", "/dont-panic",
          "one swap from 'response'; found when the server holds only this site, "
          "and also when the server holds the other corpora"),
    top("typo", "demo", "jsonn", ["json"], "one letter too many; the json module in the top 3",
        n=3),

    # -- typo budget: beyond it, nothing (noise would be worse than no answer)
    none("typo-budget", "blog", "trnaod", "two edits in a 6-letter word is beyond one"),
    none("typo-budget", "blog", "tornoda", "two edits in a 7-letter word is beyond one"),
    none("typo-budget", "blog", "jvscrpt", "two letters missing from 7 typed is beyond one"),
    none("typo-budget", "blog", "xjango", "the first letter is trusted: no 'django'"),
    none("typo-budget", "movies", "ointerstellar", "the first letter is trusted"),
    none("typo-budget", "blog", "jva", "words under 4 letters are trusted as typed"),

    # -- accents and case never matter
    first("accents", "blog", "zürich", "blogitem-040511-2", "accent in the query only"),
    first("accents", "blog", "ZURICH", "blogitem-040511-2", "upper case query"),
    first("accents", "blog", "poincare", "the-poincare-conjecture", "é in the title only"),
    first("accents", "blog", "pitea", "Pitea", "å in the title only"),
    first("accents", "blog", "gota kanal", "blogitem-040712-2", "ö in the title only"),
    first("accents", "blog", "tragubbar", "thuawood.com", "ä in the title only"),
    first("accents", "movies", "pokemon",
          "Pokémon_the_Movie:_Diancie_and_the_Cocoon_of_Destruction", "é in the title only"),
    first("accents", "movies", "LES MISÉRABLES", "Les_Misérables_(1998_film)",
          "upper case with the accent"),
    first("accents", "mini", "cafe", "/cafe-au-lait", "é in the title only"),
    first("accents", "mini", "CAFÉ", "/cafe-au-lait", "upper case accented query"),
    first("accents", "mini", "orsted", "/orsted", "Ø has no decomposition but reads as O"),
    first("accents", "mini", "ærø", "/aero", "æ folds to ae, ø to o"),
    first("accents", "mini", "lodz", "/lodz", "Ł and ź"),
    first("accents", "mini", "straße", "/strasse", "ß folds to ss on both sides"),
    first("accents", "mini", "strasse", "/strasse", "ss finds ß"),
    first("accents", "mini", "creme brulee", "/creme-brulee", "two accented words"),
    top("case", "blog", "mOnGoDb", MONGODB, "mixed case"),
    top("case", "blog", "IPHONE", ["iphones-review-on-wsj",
                                   "iphone-push-notifications-for-twitter-with-prowl",
                                   "battery-life-iphone-3g", "crosstips-iphone-interface"],
        "upper case finds 'iPhone'"),

    # -- punctuation: separates words, never crashes
    first("punctuation", "mini", "node.js", "/nodejs-streams", "'node.js' is 'node js'"),
    first("punctuation", "mini", "node js", "/nodejs-streams", "spaces for the dot"),
    first("punctuation", "mini", "nodejs", "/nodejs-streams",
          "people write Node.js as 'nodejs' too"),
    top("punctuation", "blog", "node.js", NODEJS_POSTS,
        "the blog writes 'NodeJS'; a reader types 'node.js'"),
    top("punctuation", "movies", "spiderman", SPIDER_MAN,
        "'Spider-Man' typed without the hyphen"),
    top("punctuation", "movies", "spider-man", SPIDER_MAN, "typed with the hyphen"),

    # -- joined and split words: the same name with or without its punctuation or space
    top("joined", "mini", "nodejs", ["/nodejs-streams", "/nodejs-hosting"],
        "'nodejs' finds 'Node.js' (joined in the index) and 'NodeJS' alike"),
    top("joined", "blog", "nodejs", NODEJS_POSTS, "the blog's own spelling"),
    first("joined", "mini", "spider man", "/spiderman-comics",
          "'Spiderman' typed as two words: the words joined (tier 3a)"),
    first("joined", "mini", "java script", "/javascript-basics", "'JavaScript' as two words"),
    first("joined", "mini", "java script basics", "/javascript-basics",
          "two words joined, a third as typed"),
    top("joined", "mini", "node js", ["/nodejs-streams"],
        "as typed, 'Node.js' matches; 'NodeJS' is not needed (tier 3a only runs on no hits)"),
    first("joined", "mini", "node.js hosting", "/nodejs-hosting",
          "'node.js' joined finds 'NodeJS' with the other word as typed"),
    top("joined", "blog", "java script", ["isint-function", "blogitem-040401-1"], n=10,
        why="the blog's 'JavaScript' (and 'Javascript') titles for two words"),
    first("joined", "mini", "nodej", "/nodejs-streams", "a joined word still being typed"),
    first("punctuation", "movies", "x-men", "X-Men:_Days_of_Future_Past",
          "a one-letter word before a hyphen"),
    first("punctuation", "movies", "m*a*s*h", "MASH_(film)", "stars between letters"),
    first("punctuation", "mini", "c++ move", "/cpp-move", "'c++' is the word 'c'"),
    first("punctuation", "blog", "c++", "blogitem-040218-1",
          "'C++ templates or not' is the one post a 'c++' query means; it should not "
          "crash and should rank the whole word 'c' first"),
    first("punctuation", "demo", "urllib.parse.urlparse", "urllib.parse.urlparse",
          "a dotted name as a query"),
    first("punctuation", "demo", "json.dumps", "json.dumps", "a dotted name as a query"),
    first("punctuation", "mini", "e-mail", "/email-etiquette", "hyphenated word"),
    first("punctuation", "movies", "ocean's 11", "Ocean's_11", "apostrophe and digits"),

    # -- apostrophes: inside a word they belong to it
    first("apostrophe", "blog", "didnt", "grymt", "typed without the apostrophe"),
    first("apostrophe", "blog", "don't bother", "html-whitespace-compression",
          "typed with the apostrophe"),
    first("apostrophe", "blog", "o'reilly", "bill-oreilly-nailed", "a name with an apostrophe"),
    first("apostrophe", "blog", "oreilly", "bill-oreilly-nailed", "the same name without it"),
    top("apostrophe", "blog", "what's the", ["fattest-subway-sandwich", "number-of-domains"],
        "the two 'What's the ...' posts"),
    first("apostrophe", "movies", "schindlers", "Schindler's_List", "possessive without it"),
    first("apostrophe", "movies", "schindler", "Schindler's_List", "the name alone"),
    first("apostrophe", "movies", "breakfast tiffanys", "Breakfast_at_Tiffany's_(film)",
          "possessive without it, a word skipped"),
    first("apostrophe", "movies", "its a mad", "It's_a_Mad,_Mad,_Mad,_Mad_World",
          "'it's' typed as 'its'"),
    first("apostrophe", "mini", "don\u2019t", "/dont-panic",
          "a curly apostrophe in the query, a straight one in the title"),
    first("apostrophe", "mini", "user's", "/vpn-guide",
          "a straight apostrophe in the query, a curly one in the title"),
    first("apostrophe", "mini", "ORSTED'S", "/orsted", "apostrophe, Ø and upper case at once"),

    # -- groups: the empty group always, `g` adds groups, other groups never
    ordered("groups", "mini", "holiday", ["/holiday-calendar"],
            "without g only the public title"),
    ordered("groups", "mini", "holiday", ["/holiday-pay", "/holiday-calendar"],
            "g=staff adds the staff title, ranked by popularity", groups=("staff",)),
    ordered("groups", "mini", "holiday", ["/holiday-pay", "/holiday-rota", "/holiday-calendar"],
            "two groups add both", groups=("staff", "admin")),
    ordered("groups", "mini", "holiday", ["/holiday-calendar"],
            "an unknown group adds nothing", groups=("nosuchgroup",)),
    ordered("groups", "mini", "holiday pay", ["/holiday-calendar"],
            "the only full match is in the staff group: 'pay' matches nothing searched, so "
            "tier 4 drops it, and the staff title (more popular) stays out"),
    ordered("groups", "mini", "holiday rota", ["/holiday-pay", "/holiday-calendar"],
            "the only full match is in the admin group, not asked for: 'rota' is dropped "
            "and the admin title (more popular than the calendar) stays out",
            groups=("staff",)),
    none("groups", "mini", "salary", "the only match is in the hr group"),
    first("groups", "mini", "salary", "/salary-bands", "asked for with g=hr", groups=("hr",)),

    # -- popularity ties: titles starting with the query word, then the shorter title
    ordered("ties", "mini", "tea", ["/tea-history", "/tea-ceremony", "/tea-ceremonies",
                                    "/iced-tea", "/green-tea"],
            "the most popular first; then, tied at 5, titles starting with 'tea', "
            "then shorter titles"),
    ordered("ties", "mini", "tea cer", ["/tea-ceremony", "/tea-ceremonies"],
            "tied in popularity and both phrase matches: the shorter title first"),
    top("ties", "blog", "kung fu", KUNG_FU_FIRST,
        "no popularity: titles starting with 'Kung fu' before 'Old School Kung Fu'"),
    top("ties", "movies", "jurassic", JURASSIC,
        "tied at 1: the two plain 'Jurassic Park' titles before 'Jurassic Park III'"),

    # -- misses: no results rather than noise
    none("miss", "blog", "xyzzy", "no such word"),
    none("miss", "blog", "kubernetes", "a topic the blog never covered"),
    none("miss", "blog", "ython", "words match from their beginning, not in the middle"),
    first("dead-ends", "movies", "toy story", "Babes_in_Toyland_(1934_film)",
          "not in the corpus: no title has both words, so 'story' is dropped from the "
          "right and 'toy' answers (the only 'toy' title)"),
    none("miss", "demo", "kubernetes", "not a standard library name"),
    none("miss", "mini", "xyzzy", "no such word"),

    # -- no dead ends (tier 4): words that match nothing are dropped, never all of them
    ordered("dead-ends", "mini", "tea zzzz", ["/tea-history", "/tea-ceremony", "/tea-ceremonies"],
            "'zzzz' matches nothing: the answer is that of 'tea'"),
    ordered("dead-ends", "blog", "python qqqq", ["blogitem-040311-1", "blogitem-20031105-2301"],
            "the answer is that of 'python': its shortest titles"),
    first("dead-ends", "mini", "zzzz tea ceremony xxxx", "/tea-ceremony",
          "two words dropped, the phrase of the others kept"),
    first("dead-ends", "mini", "pyhton qqqq", "/testing-with-python",
          "a mistyped word matches something once corrected: kept, and corrected"),
    first("dead-ends", "mini", "java script qqqq", "/javascript-basics",
          "'script' alone matches nothing but 'javascript' does: both kept"),
    first("dead-ends", "mini", "python calendar", "/testing-with-python",
          "each word matches some title, none both: words dropped from the right"),
    first("dead-ends", "mini", "calendar python", "/holiday-calendar",
          "the same words the other way round: the first word kept"),
    none("dead-ends", "mini", "qqqq zzzz", "every word matches nothing: never all dropped"),

    # -- synonyms (corpora.py: each corpus's rules, set as its owner would)
    first("synonym", "blog", "js snippet", "Title",
          "'js' and 'javascript' mean the same: the javascript snippet, though no title "
          "has a js-word and 'snippet'"),
    first("synonym", "blog", "pg random rows", "getting-random-rows-postgresql-django",
          "'pg' finds PostgreSQL one way"),
    top("synonym", "movies", "hp", ["Harry_Potter_(film_series)",
                                    "Harry_Potter_and_the_Goblet_of_Fire_(film)",
                                    "Harry_Potter_and_the_Philosopher's_Stone_(film)"],
        "no title has an hp-word: 'hp' finds the Potter films one way", n=4),
]

__all__ = ["CASES", "SETUP_GAPS", "Case", "expected_failure"]
