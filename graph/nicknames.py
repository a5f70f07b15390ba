"""Given names and the short forms English records use for them (William, Bill, Will, Liam).

Kept small and conservative: a wrong equivalence here only widens a search, and every
candidate is shown with the reason it matched.
"""

from __future__ import annotations

_GROUPS = """
william bill billy will willie liam
robert bob bobby rob robbie bert
elizabeth liz lizzie beth betty eliza libby elsie
margaret maggie meg peggy maisie
katherine catherine kathryn kate katie kath cathy kay
james jim jimmy jamie
john jack johnny jon
jonathan jon jonny
thomas tom tommy
richard rick ricky dick richie
edward ed eddie ted ned
alexander alex sandy xander
alexandra alex lexi sandra
michael mike mikey mick
daniel dan danny
samuel sam sammy
samantha sam sammy
joseph joe joey
christopher chris kit
christine chris chrissie
matthew matt matty
nicholas nick nicky
anthony tony
jennifer jen jenny
rebecca becky becca
victoria vicky tori
jessica jess jessie
charlotte charlie lottie
charles charlie chas chuck
benjamin ben benji
oliver ollie
henry harry hal hank
frederick fred freddie
abigail abbie abby
amelia millie amy
emily em emmie
sophia sophie
isabella isabel bella izzy
eleanor elinor ellie nora
patricia pat trish tricia
susan sue suzy
deborah debbie deb
stephen steven steve stevie
andrew andy drew
david dave davy
peter pete
timothy tim timmy
gregory greg
jacob jake
zachary zach zac
mohammed muhammad mohammad mohamed mo
""".strip()

VARIANTS: dict[str, frozenset[str]] = {}
for _line in _GROUPS.splitlines():
    _names = frozenset(_line.split())
    for _name in _names:
        VARIANTS[_name] = VARIANTS.get(_name, frozenset()) | _names


def variants_of(name: str) -> frozenset[str]:
    """The name and every name this table treats as the same person's.

    >>> sorted(variants_of("bill"))
    ['bill', 'billy', 'liam', 'will', 'william', 'willie']
    """
    return VARIANTS.get(name, frozenset({name}))
