"""Name forms for linkage: nicknames folded to one canonical form, and phonetic codes.

The nickname table is our own (not the synthetic generator's), so a gap in one cannot be
hidden by the same gap in the other.
"""

from __future__ import annotations

import functools

import jellyfish

from graph.normalise import name_tokens

# Each line: the canonical form first, then forms people and systems write for it.
_GROUPS = """
abigail abi abby gail
alexander alex alec sandy xander
alexandra alex sandra lexi alexa
andrew andy drew
anthony tony ant
barbara barb babs
benjamin ben benny benji
catherine cath cathy kate katie kath katherine kathryn kathy cat kat kitty
charles charlie chas chuck
charlotte lottie charlie lotte
christopher chris kit topher
christine chris chrissie tina
daniel dan danny
david dave davey
deborah debbie deb debra
edward ed eddie ted ned
eleanor ellie nell nora elinor
elizabeth liz lizzie beth betty eliza libby lisa bess
emily em emmy
florence flo florrie
frederick fred freddie freddy
gabriel gabe gabi
gregory greg
harold harry hal
henry harry hal hank
isabella bella izzy isabel isobel
jacob jake
james jim jimmy jamie
jennifer jenny jen jenni
jessica jess jessie
john jack johnny jon
jonathan jon jonny
joseph joe joey
joshua josh
kasia katarzyna
leonard leo len lenny
margaret maggie meg peggy marge madge maisie
matthew matt matty
michael mike mick mickey mikey
mohammed mo muhammad mohammad mohamed muhammed
nicholas nick nicky
nicola nicky nikki
oliver ollie olly
patricia pat patty trish tricia
patrick pat paddy
peter pete
philip phil pip phillip
rebecca becky becca
richard rick ricky dick richie
robert bob bobby rob robbie bert
samantha sam sammy
samuel sam sammy
stephen steve stevie steven
susan sue susie suzanne
thomas tom tommy
timothy tim timmy
victoria vicky vic tori
william bill billy will willie liam
"""


def _table() -> dict[str, str]:
    table: dict[str, str] = {}
    for line in _GROUPS.strip().splitlines():
        canonical, *forms = line.split()
        table.setdefault(canonical, canonical)
        for form in forms:
            table.setdefault(form, canonical)  # the first group to claim a form keeps it
    return table


NICKNAMES = _table()


def canonical_given(given_names: str) -> str:
    """The first given name with any nickname folded to its canonical form.

    >>> canonical_given("Bill Arthur")
    'william'
    """
    tokens = name_tokens(given_names)
    if not tokens:
        return ""
    return NICKNAMES.get(tokens[0], tokens[0])


@functools.lru_cache(maxsize=1 << 16)
def phonetic(word: str) -> str:
    """A sound-alike code of one word (metaphone), empty for an empty word.

    >>> phonetic("smith") == phonetic("smyth")
    True
    """
    return jellyfish.metaphone(word) if word else ""
