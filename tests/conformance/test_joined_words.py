"""Joined and split words, and no dead ends (core/search.py tiers 3a and 4), through HTTP."""


def search(site, q, **params):
    response = site.search(q, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    return [title for _url, title in body["results"]], body["terms"]


def test_a_word_joined_in_the_query_finds_it_split_by_punctuation_and_written_joined(any_site):
    any_site.bulk([
        {"url": "/dot", "title": "Node.js streams", "popularity": 2},
        {"url": "/camel", "title": "NodeJS hosting", "popularity": 1},
        {"url": "/hyphen", "title": "The Amazing Spider-Man 2"},
        {"url": "/other", "title": "Nodes and edges"},
    ])
    found, terms = search(any_site, "nodejs")
    assert found == ["Node.js streams", "NodeJS hosting"]
    # The widget highlights beginnings of words: "nodejs" alone marks nothing in
    # "Node.js", its parts do.
    assert terms == ["nodejs", "node", "js"]
    assert search(any_site, "spiderman")[0] == ["The Amazing Spider-Man 2"]
    assert search(any_site, "nodej")[1] == ["nodej", "node", "j"]
    # A mistyped joined word is corrected to it, and its parts are highlighted too.
    assert search(any_site, "spidreman") == (["The Amazing Spider-Man 2"],
                                              ["spidreman", "spiderman", "spider", "man"])


def test_words_split_in_the_query_find_them_written_joined(any_site):
    any_site.bulk([
        {"url": "/spider", "title": "Spiderman comics"},
        {"url": "/js", "title": "JavaScript basics"},
        {"url": "/node", "title": "NodeJS hosting"},
    ])
    assert search(any_site, "spider man") == (["Spiderman comics"],
                                               ["spider", "man", "spiderman"])
    assert search(any_site, "java script ba") == (["JavaScript basics"],
                                                   ["java", "script", "ba", "javascript"])
    assert search(any_site, "node.js")[0] == ["NodeJS hosting"]


def test_joined_readings_come_after_the_words_as_typed_while_the_page_has_room(any_site):
    any_site.bulk([
        {"url": "/apart", "title": "Node js intro", "popularity": 1},
        {"url": "/joined", "title": "NodeJS guide", "popularity": 50},
        {"url": "/dash", "title": "The Amazing Spider-Man", "popularity": 1},
        {"url": "/one", "title": "Spiderman: Homecoming", "popularity": 50},
    ])
    # The words as typed first, however popular the joined reading's titles.
    assert search(any_site, "node js") == (["Node js intro", "NodeJS guide"],
                                           ["node", "js", "nodejs"])
    assert search(any_site, "spider man")[0] == ["The Amazing Spider-Man",
                                                 "Spiderman: Homecoming"]
    # A full page of the words as typed leaves no room.
    assert search(any_site, "node js", n=1)[0] == ["Node js intro"]


def test_a_phrase_never_runs_from_the_title_into_its_joined_words(any_site):
    any_site.bulk([
        {"url": "/dot", "title": "Node.js in practice", "popularity": 10},
        {"url": "/phrase", "title": "Practice NodeJS daily", "popularity": 1},
    ])
    # "node js in practice" + "nodejs": "practice nodejs" is no phrase of the first
    # (tier 2, any order), only of the second (tier 1).
    assert search(any_site, "practice nodejs")[0] == ["Practice NodeJS daily",
                                                      "Node.js in practice"]


def test_words_that_match_nothing_are_dropped_and_left_out_of_terms(any_site):
    any_site.bulk([
        {"url": "/1", "title": "Python testing", "popularity": 2},
        {"url": "/2", "title": "Python packaging", "popularity": 1},
        {"url": "/3", "title": "Holiday calendar"},
    ])
    assert search(any_site, "python zzzz") == (["Python testing", "Python packaging"],
                                                ["python"])
    assert search(any_site, "qqqq python testing zzzz") == (["Python testing"],
                                                             ["python", "testing"])
    # Every word matches a title, no title has both: words dropped from the right.
    assert search(any_site, "python calendar") == (["Python testing", "Python packaging"],
                                                   ["python"])
    assert search(any_site, "calendar python") == (["Holiday calendar"], ["calendar"])
    assert search(any_site, "python testing calendar") == (["Python testing"],
                                                           ["python", "testing"])
    # Never all of them.
    assert search(any_site, "qqqq zzzz") == ([], ["qqqq", "zzzz"])


def test_a_word_that_matches_once_corrected_or_joined_is_kept(any_site):
    any_site.bulk([
        {"url": "/py", "title": "Python testing"},
        {"url": "/js", "title": "JavaScript basics"},
        {"url": "/scr", "title": "Java coffee"},
    ])
    found, terms = search(any_site, "pyhton zzzz")
    assert found == ["Python testing"]
    assert terms == ["pyhton", "python"]
    # "script" alone matches nothing, "javascript" does: both stay.
    assert search(any_site, "java script zzzz") == (["JavaScript basics"],
                                                     ["java", "script", "javascript"])


def test_words_are_judged_by_the_searched_groups_only(any_site):
    any_site.bulk([
        {"url": "/calendar", "title": "Holiday calendar"},
        {"url": "/pay", "title": "Holiday pay policy", "group": "staff", "popularity": 10},
    ])
    # "pay" matches nothing public: dropped, and the staff title stays out.
    assert search(any_site, "holiday pay") == (["Holiday calendar"], ["holiday"])
    assert search(any_site, "holiday pay", g="staff") == (["Holiday pay policy"],
                                                          ["holiday", "pay"])


def test_joined_words_answer_before_typo_corrections_when_both_would_find_titles(any_site):
    any_site.bulk([
        {"url": "/joined", "title": "JavaScript basics", "popularity": 1},
        {"url": "/typo", "title": "Java scirpt tutorial", "popularity": 100},
    ])
    # "script" matches no title word as typed; corrected to "scirpt" it finds the
    # more popular title: tier 3b alone would answer so.
    assert search(any_site, "jav script") == (["Java scirpt tutorial"],
                                               ["jav", "script", "scirpt"])
    # "java script" finds that title the same way once corrected, and "JavaScript"
    # joined: tier 3a comes first, so the joined reading answers alone.
    assert search(any_site, "java script") == (["JavaScript basics"],
                                                ["java", "script", "javascript"])


ROMAN_THOUSAND = "\u2180"


def test_words_joined_by_punctuation_are_never_joined_across_digits(any_site):
    any_site.bulk([
        {"url": "/yaml", "title": "python3-yaml bindings"},
        {"url": "/version", "title": "Release 3.11 notes"},
        {"url": "/date", "title": "Report 2024-11 summary"},
        {"url": "/player", "title": "mp3-player reviews"},
        {"url": "/letters", "title": "e-mail tips"},
        # A Roman numeral sign: a number, not a letter, though not a digit either.
        {"url": "/numeral", "title": f"Legion {ROMAN_THOUSAND}-annals"},
    ])
    # Versions, dates and package names are typed with their punctuation or as words.
    for joined in ("python3yaml", "311", "202411", "mp3player", f"{ROMAN_THOUSAND}annals"):
        assert search(any_site, joined)[0] == [], joined
    assert search(any_site, "python3 yaml")[0] == ["python3-yaml bindings"]
    assert search(any_site, "email")[0] == ["e-mail tips"]  # letters only: joined
