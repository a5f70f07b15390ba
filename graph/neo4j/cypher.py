"""Every Cypher statement famgraph runs, as named constants. Values always travel as parameters.

Labels and relationship types come from the model's fixed registry, never from input,
so the few statements built per label below are built once, at import.
Dates are stored as ISO 8601 strings, which compare in date order.
"""

from __future__ import annotations

from itertools import combinations

from graph.model import EDGE_TYPES, NODE_TYPES
from graph.store import HOUSEHOLD_KIN_DEPTH

# Endpoint labels of each relationship type: edges are matched through indexed ids.
ENDPOINTS = {
    "PARENT_OF": ("Person", "Person"),
    "PARTNER_OF": ("Person", "Person"),
    "RELATED_TO": ("Person", "Person"),
    "EMOTIONAL": ("Person", "Person"),
    "HAS_RECORD": ("Person", "SourceRecord"),
    "MEMBER_OF": ("Person", "Household"),
}
assert set(ENDPOINTS) == set(EDGE_TYPES)

KIN_TYPES = "PARENT_OF|PARTNER_OF|RELATED_TO"

# Upsert nodes of one label: one statement per label, each an UNWIND batch.
UPSERT_NODES = {
    label: f"UNWIND $rows AS row MERGE (n:{label} {{id: row.id}}) SET n = row"
    for label in NODE_TYPES
}


def _by_id(var: str, label: str, key: str) -> str:
    """A pattern finding one node by id through its uniqueness index, whatever the planner's
    statistics say: planned while a label is still empty (the first load into a new store)
    an unhinted lookup can become a scan of the whole label per row, and the plan is then
    kept for the rest of the copy."""
    return f"({var}:{label} {{id: {key}}}) USING INDEX {var}:{label}(id)"


# Upsert edges of one type between existing endpoints, keyed by the edge's key.
UPSERT_EDGES = {
    kind: (
        f"UNWIND $rows AS row "
        f"MATCH {_by_id('a', src, 'row.src')} MATCH {_by_id('b', dst, 'row.dst')} "
        f"MERGE (a)-[r:{kind} {{key: row.key}}]->(b) SET r = row"
    )
    for kind, (src, dst) in ENDPOINTS.items()
}

# Which edge rows name an endpoint the store does not hold (checked before writing them).
MISSING_ENDPOINTS = {
    kind: (
        f"UNWIND $rows AS row "
        f"OPTIONAL MATCH {_by_id('a', src, 'row.src')} "
        f"OPTIONAL MATCH {_by_id('b', dst, 'row.dst')} "
        f"WITH row, a, b WHERE a IS NULL OR b IS NULL "
        f"RETURN row.key AS key, CASE WHEN a IS NULL THEN row.src ELSE row.dst END AS missing "
        f"LIMIT 1"
    )
    for kind, (src, dst) in ENDPOINTS.items()
}

# A record belongs to one person at a time: drop its old owner link before the new one.
DETACH_RECORDS = (
    f"UNWIND $ids AS id MATCH {_by_id('r', 'SourceRecord', 'id')} "
    "MATCH (:Person)-[old:HAS_RECORD]->(r) DELETE old"
)

# The next batch sequence number, kept on one counter node.
NEXT_BATCH = (
    "MERGE (c:FamgraphMeta {id: 'batches'}) "
    "SET c.seq = coalesce(c.seq, 0) + 1 RETURN c.seq AS seq"
)

# Keep a load's counts and rejections, in the batch's own transaction.
SAVE_LOAD_LOG = "CREATE (:FamgraphLoadLog {seq: $seq, data: $data})"

# Reserve numbers for a batch's changes on their own counter; returns the last one reserved.
RESERVE_CHANGES = (
    "MERGE (c:FamgraphMeta {id: 'changes'}) "
    "SET c.seq = coalesce(c.seq, 0) + $count RETURN c.seq AS last"
)

# Keep a load's changes, in the batch's own transaction; `people` is what followers match.
SAVE_CHANGES = (
    "UNWIND $rows AS row CREATE (:FamgraphChange {seq: row.seq, batch: $batch, "
    "recorded_at: row.recorded_at, people: row.people, data: row.data})"
)

# Changes above a number, oldest first, optionally about some people and since a moment.
CHANGES = (
    "MATCH (c:FamgraphChange) WHERE c.seq > $after "
    "  AND ($since IS NULL OR c.recorded_at >= $since) "
    "  AND ($ids IS NULL OR any(p IN c.people WHERE p IN $ids)) "
    "RETURN c.seq AS seq, c.data AS data ORDER BY c.seq LIMIT $first"
)

# The newest change's number.
LAST_CHANGE = "MATCH (c:FamgraphMeta {id: 'changes'}) RETURN c.seq AS last"

# Every membership of these households.
RESIDENTS = (
    "MATCH (:Person)-[m:MEMBER_OF]->(h:Household) WHERE h.id IN $ids "
    "RETURN m.data AS data ORDER BY h.id, m.key"
)

LOAD_LOGS = "MATCH (l:FamgraphLoadLog) RETURN l.data AS data ORDER BY l.seq"

# Nodes of one label by id.
NODES_BY_ID = {label: f"MATCH (n:{label}) WHERE n.id IN $ids RETURN n.id AS id, n.data AS data"
               for label in NODE_TYPES}

# Every node of one label (management information's aggregates, identity resolution).
NODES_LABELLED = {label: f"MATCH (n:{label}) RETURN n.data AS data" for label in NODE_TYPES}

# The nodes of a label about any of these people (each label indexed on `person_id`); for
# review pairs, the open ones naming them (by the status index: closed pairs pile up).
NODES_ABOUT = {
    label: f"MATCH (n:{label}) WHERE n.person_id IN $ids RETURN n.data AS data"
    for label in ("Event", "RiskIndicator", "IdentityEvent", "LinkExplanation")
} | {"ReviewPair": "MATCH (n:ReviewPair) WHERE n.status = 'open' "
                   "AND (n.person_a IN $ids OR n.person_b IN $ids) RETURN n.data AS data"}

# What one source system asserted: its records, and the involvements it gave.
NODES_FROM = {
    "SourceRecord": "MATCH (n:SourceRecord {system: $system}) RETURN n.data AS data",
    "Involvement": "MATCH (n:Involvement) WHERE $system IN n.source_systems "
                   "RETURN n.data AS data",
}

# The person each source record belongs to.
RECORD_OWNERS = (
    "MATCH (p:Person)-[:HAS_RECORD]->(r:SourceRecord) WHERE r.id IN $ids "
    "RETURN r.id AS record, p.id AS person"
)


def _names(*names: str) -> str:
    """Variables for an import list or a WITH, the empty ones left out."""
    return ", ".join(n for n in names if n)


def _kin_from_s(depth: int, day: str, key: str = "") -> str:
    """From a bound subject `s`: people within `depth` steps over edges begun by `day` (a
    parameter or an expression on `key`, carried into every subquery), and edges among them.

    Distances come from SHORTEST paths (Neo4j 5.21+), so each person is reached once; edges
    are those touching someone nearer than `depth`, as a breadth-first walk takes them.
    The depth is a literal because path quantifiers cannot be parameters; callers pass an int.
    """
    steps = int(depth)
    return (
        f"CALL ({_names('s', key)}) {{ "
        "  MATCH p = SHORTEST 1 (s) "
        f"   (()-[r:{KIN_TYPES} WHERE r.valid_from IS NULL OR r.valid_from <= {day}]-"
        f"     (x:Person WHERE x.birth_date IS NULL OR x.birth_date <= {day})"
        f"   ){{0,{steps}}} (o:Person) "
        "  RETURN o, length(p) AS distance "
        "} "
        f"WITH {_names(key, 'collect(o) AS people')}, "
        f"     collect(CASE WHEN distance < {steps} THEN o END) AS inner "
        f"CALL ({_names('people', 'inner', key)}) {{ "
        "  UNWIND inner AS a "
        f"  MATCH (a)-[r:{KIN_TYPES}]-(b:Person) "
        f"  WHERE b IN people AND (r.valid_from IS NULL OR r.valid_from <= {day}) "
        "  RETURN collect(DISTINCT r) AS edges "
        "} "
        "RETURN [n IN people | n.data] AS people, [n IN people | n.id] AS people_ids, "
        "       [r IN edges | {type: type(r), data: r.data}] AS edges"
    )


def kin_graphs(depth: int) -> str:
    """People within `depth` family steps over edges begun by each key's day, and edges
    among them (`_kin_from_s`), for every {id, as_of} in $keys in one round trip, a row per
    key whose person is held; each key's day travels as `key.as_of` into the subqueries."""
    return (
        "UNWIND $keys AS key "
        "CALL (key) { "
        "  MATCH (s:Person {id: key.id}) "
        + _kin_from_s(depth, "key.as_of", "key")
        + " } "
        "RETURN key.id AS id, key.as_of AS as_of, people, edges"
    )


def _household_from_s(depth: int, day: str, key: str = "") -> str:
    """From a bound subject `s`: the latest membership current on `day`, its address and
    residents, and the subject's kin within `depth`."""
    return (
        f"CALL ({_names('s', key)}) {{ "
        "  OPTIONAL MATCH (s)-[m:MEMBER_OF]->(h:Household) "
        f"  WHERE (m.valid_from IS NULL OR m.valid_from <= {day}) "
        f"    AND (m.valid_to IS NULL OR {day} <= m.valid_to) "
        f"  WITH {_names('h', 'm', key)} ORDER BY coalesce(m.valid_from, '') DESC LIMIT 1 "
        "  OPTIONAL MATCH (a:Address {id: h.address_id}) "
        "  OPTIONAL MATCH (p:Person)-[pm:MEMBER_OF]->(h) "
        f"  WHERE (pm.valid_from IS NULL OR pm.valid_from <= {day}) "
        f"    AND (pm.valid_to IS NULL OR {day} <= pm.valid_to) "
        "  RETURN h.data AS household, a.data AS address, "
        "         collect(pm.data) AS members, collect(p.data) AS residents, "
        "         collect(p.id) AS resident_ids "
        "} "
        # Every membership current on the day, with its household and address: those not
        # of the household chosen above are where other sources place the subject.
        f"CALL ({_names('s', key)}) {{ "
        "  MATCH (s)-[om:MEMBER_OF]->(oh:Household) "
        f"  WHERE (om.valid_from IS NULL OR om.valid_from <= {day}) "
        f"    AND (om.valid_to IS NULL OR {day} <= om.valid_to) "
        "  OPTIONAL MATCH (oa:Address {id: oh.address_id}) "
        "  RETURN collect({membership: om.data, household: oh.data, address: oa.data})"
        "         AS current "
        "} "
        f"CALL ({_names('s', key)}) {{ "
        + _kin_from_s(depth, day, key)
        + " } "
        "RETURN household, address, members, residents, resident_ids, current, people, "
        "       people_ids, edges"
    )


def households(depth: int, with_involvements: bool = False) -> str:
    """The household of each {id, as_of} in $keys on its day and the subject's kin within
    `depth` (`_household_from_s`), in one round trip, a row per key whose person is held;
    `with_involvements`, also every involvement begun by the day about anyone in it."""
    involvements = (
        "CALL (key, people_ids, resident_ids) { "
        "  UNWIND people_ids + resident_ids AS pid "
        "  WITH DISTINCT key, pid "
        + _begun_involvements("pid", "key.as_of")
        + "RETURN collect({involvement: i.data, organisation: o.data, lead: w.data})"
        "         AS involvements "
        "} ") if with_involvements else ""
    return (
        "UNWIND $keys AS key "
        "CALL (key) { "
        "  MATCH (s:Person {id: key.id}) "
        + _household_from_s(depth, "key.as_of", "key")
        + " } "
        + involvements
        + "RETURN key.id AS id, key.as_of AS as_of, household, address, members, residents, "
        "       current, people, edges" + (", involvements" if with_involvements else "")
    )


def _begun_involvements(person: str, day: str) -> str:
    """Involvements about `person` begun by `day` (`i`), with their organisation (`o`) and
    lead (`w`): open or closed, which the store protocol decides (`involvements_among`)."""
    return (
        f"MATCH (i:Involvement {{person_id: {person}}}) WHERE i.start <= {day} "
        "OPTIONAL MATCH (o:Organisation {id: i.organisation_id}) "
        "OPTIONAL MATCH (w:Practitioner {id: i.lead_id}) "
    )


# Involvements about these (distinct) people begun by $as_of, with their organisation and
# lead.
INVOLVEMENTS = (
    "UNWIND $ids AS pid "
    + _begun_involvements("pid", "$as_of")
    + "RETURN i.data AS involvement, o.data AS organisation, w.data AS lead"
)

# Search candidates: any of NHS number, a name token, birth date, postcode of residence.
SEARCH = (
    "CALL () { "
    "  MATCH (p:Person) WHERE $nhs IS NOT NULL AND p.nhs_number = $nhs RETURN p "
    "  UNION "
    "  WITH $key_query AS q WHERE q <> '' "
    "  CALL db.index.fulltext.queryNodes('person_name_keys', q) YIELD node "
    "  WITH node AS p WHERE p:Person RETURN p "
    "  UNION "
    "  MATCH (p:Person) WHERE $upn IS NOT NULL AND $upn IN p.upns RETURN p "
    "  UNION "
    "  MATCH (p:Person) WHERE $birth IS NOT NULL AND p.birth_date = $birth RETURN p "
    "  UNION "
    "  MATCH (a:Address {postcode_key: $postcode}) "
    "  MATCH (h:Household {address_id: a.id}) MATCH (p:Person)-[:MEMBER_OF]->(h) RETURN p "
    "} "
    "RETURN DISTINCT p.id AS id, p.data AS data ORDER BY id LIMIT $limit"
)

# Every household membership of these people.
MEMBERSHIPS = (
    "MATCH (p:Person)-[m:MEMBER_OF]->(:Household) WHERE p.id IN $ids "
    "RETURN m.data AS data ORDER BY p.id, m.key"
)

# Node counts by famgraph label, relationship counts by type.
# One count per label and per type, each of which Neo4j answers from its count store, not
# by reading every node (a load asks, to choose between a delta and a full run).
COUNT_NODES = " UNION ALL ".join(
    f"MATCH (n:{label}) RETURN '{label}' AS label, count(n) AS count" for label in NODE_TYPES)
COUNT_EDGES = " UNION ALL ".join(
    f"MATCH ()-[r:{kind}]->() RETURN '{kind}' AS type, count(r) AS count"
    for kind in EDGE_TYPES)

# Uniqueness for every identity label, and the indexes the questions use (idempotent).
CONSTRAINTS = [
    f"CREATE CONSTRAINT {label.lower()}_id IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE"
    for label in NODE_TYPES
] + [
    "CREATE INDEX person_nhs IF NOT EXISTS FOR (p:Person) ON (p.nhs_number)",
    "CREATE INDEX person_birth IF NOT EXISTS FOR (p:Person) ON (p.birth_date)",
    # Name keys are words and sound codes; a whitespace analyzer keeps each one whole.
    "CREATE FULLTEXT INDEX person_name_keys IF NOT EXISTS FOR (p:Person) ON EACH "
    "[p.name_key_text] OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace'}}",
    "CREATE INDEX address_postcode IF NOT EXISTS FOR (a:Address) ON (a.postcode_key)",
    "CREATE INDEX household_address IF NOT EXISTS FOR (h:Household) ON (h.address_id)",
    "CREATE INDEX involvement_person IF NOT EXISTS FOR (i:Involvement) ON (i.person_id)",
    "CREATE INDEX event_person IF NOT EXISTS FOR (e:Event) ON (e.person_id)",
    "CREATE INDEX risk_person IF NOT EXISTS FOR (r:RiskIndicator) ON (r.person_id)",
    "CREATE INDEX identity_event_person IF NOT EXISTS FOR (e:IdentityEvent) ON (e.person_id)",
    "CREATE INDEX explanation_person IF NOT EXISTS FOR (x:LinkExplanation) ON (x.person_id)",
    "CREATE INDEX review_status IF NOT EXISTS FOR (p:ReviewPair) ON (p.status)",
    "CREATE INDEX record_system IF NOT EXISTS FOR (r:SourceRecord) ON (r.system)",
    "CREATE CONSTRAINT meta_id IF NOT EXISTS FOR (m:FamgraphMeta) REQUIRE m.id IS UNIQUE",
    "CREATE CONSTRAINT change_seq IF NOT EXISTS FOR (c:FamgraphChange) REQUIRE c.seq IS UNIQUE",
]
# Relationship indexes on `key` that earlier versions made, dropped: no question looks an
# edge up by key, and once the statistics said an index held many keys, Neo4j 5.26 planned
# the MERGE in `UPSERT_EDGES` as a scan of the whole index for every row (44 million
# reads for 2,000 memberships) rather than an expand between the two nodes it has.
CONSTRAINTS += [f"DROP INDEX {kind.lower()}_key IF EXISTS" for kind in EDGE_TYPES]

# The fulltext index `SEARCH_MATCHES` reads: keys are words, sounds, one-letter-dropped
# forms, marked UPNs and birth dates; a whitespace analyzer keeps each one whole and case
# as written.
SEARCH_INDEX = (
    "CREATE FULLTEXT INDEX person_search_keys IF NOT EXISTS FOR (p:Person) ON EACH "
    "[p.search_key_text] OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace'}}"
)

# Wait (up to ten minutes) until the search index holds every key written so far.
AWAIT_SEARCH_INDEX = "CALL db.awaitIndex('person_search_keys', 600)"

# People written before `search_key_text` existed, or before it held their UPNs
# ($upn_mark) and birth dates ($born_mark), a batch at a time, to give them their keys.
UNKEYED_PEOPLE = (
    "MATCH (p:Person) WHERE p.search_key_text IS NULL "
    "OR (size(p.upns) > 0 AND NOT p.search_key_text CONTAINS $upn_mark) "
    "OR (p.birth_date IS NOT NULL AND NOT p.search_key_text CONTAINS $born_mark) "
    "RETURN p.data AS data LIMIT 5000"
)

# Give each person in $rows ({id, keys}) their search keys.
SET_SEARCH_KEYS = (
    "UNWIND $rows AS row MATCH (p:Person {id: row.id}) SET p.search_key_text = row.keys"
)

# The branches a search may need, each `RETURN p, lived`: by NHS number, by UPN, by any
# birth date a source gave, by postcode (`lived` is the address, which the caller
# releases before counting it), and by every name word.
_SEARCH_BRANCHES = {
    "nhs": "MATCH (p:Person {nhs_number: $nhs}) RETURN p, null AS lived",
    "upn": "CALL db.index.fulltext.queryNodes('person_search_keys', $upn_term) YIELD node "
           "WITH node AS p WHERE p:Person AND $upn IN p.upns RETURN p, null AS lived",
    "births": "CALL db.index.fulltext.queryNodes('person_search_keys', $births_term) "
              "YIELD node WITH node AS p WHERE p:Person RETURN p, null AS lived",
    "postcode": "MATCH (a:Address {postcode_key: $postcode}) "
                "MATCH (h:Household {address_id: a.id}) "
                "MATCH (p:Person)-[:MEMBER_OF]->(h) RETURN p, a.data AS lived",
    "words": "CALL db.index.fulltext.queryNodes('person_search_keys', $words) YIELD node "
             "WITH node AS p WHERE p:Person WITH p ORDER BY p.id LIMIT $limit "
             "RETURN p, null AS lived",
}

# The people matching any of a search's criteria, with the addresses that matched, one
# statement for each set of criteria a search can ask: only the branches it needs, since
# an unused one can still cost a scan of every person. Built once, at import.
SEARCH_MATCHES = {
    frozenset(asked): (
        "CALL () { " + " UNION ".join(_SEARCH_BRANCHES[k] for k in asked) + " } "
        "WITH p, collect(DISTINCT lived) AS lived "
        "RETURN p.id AS id, p.data AS data, lived ORDER BY id"
    )
    for size in range(1, len(_SEARCH_BRANCHES) + 1)
    for asked in combinations(_SEARCH_BRANCHES, size)
}

# The heaviest questions with parameters that match nothing, to plan them once before
# serving: a cold plan can take seconds.
_NOBODY: dict[str, object] = {"keys": [{"id": "", "as_of": ""}]}
WARM_UP: list[tuple[str, dict[str, object]]] = (
    [(households(HOUSEHOLD_KIN_DEPTH, asked), _NOBODY) for asked in (False, True)]
    + [(kin_graphs(depth), _NOBODY) for depth in range(1, 5)]
)

# Remove everything: for the test suite's fresh store per test only.
DELETE_ALL = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"

# --- identity resolution ------------------------------------------------------

# The records in any of these blocks (`Store.source_records_in_blocks`): `block_text` is
# the record's `blocks` field, its keys hex words, found through a full-text index kept
# with the others (`CONSTRAINTS`); and the records kept before that field was written.
RECORD_BLOCKS_INDEX = (
    "CREATE FULLTEXT INDEX record_blocks IF NOT EXISTS FOR (r:SourceRecord) ON EACH "
    "[r.block_text] OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace'}}"
)
CONSTRAINTS.append(RECORD_BLOCKS_INDEX)
# A new index fills in the background: a delta waits until it holds every record.
AWAIT_RECORD_BLOCKS = "CALL db.awaitIndex('record_blocks', 600)"
RECORDS_IN_BLOCKS = (
    "CALL db.index.fulltext.queryNodes('record_blocks', $terms) YIELD node "
    "WHERE node:SourceRecord RETURN node.id AS id, node.data AS data"
)
RECORDS_WITHOUT_BLOCKS = (
    "MATCH (r:SourceRecord) WHERE r.block_text IS NULL RETURN r.id AS id, r.data AS data"
)
# Lucene refuses a query of more than 1,024 words.
BLOCKS_PER_QUERY = 1000

# The records each of these people holds now.
RECORDS_BY_PERSON = (
    "MATCH (p:Person)-[:HAS_RECORD]->(r:SourceRecord) WHERE p.id IN $ids "
    "RETURN p.id AS person, r.data AS data ORDER BY r.id"
)

# Open review pairs after a given id, a page at a time.
REVIEW_QUEUE = (
    "MATCH (p:ReviewPair) WHERE p.status = 'open' AND ($after IS NULL OR p.id > $after) "
    "RETURN p.data AS data ORDER BY p.id LIMIT $first"
)

# --- accounts: users, grants and follows shared by every famgraph process on this Neo4j ---
# (server/accounts_neo4j.py; docs/neo4j.md, "Several famgraph processes on one Neo4j")

# The accounts' schema, run at every open (all IF NOT EXISTS). The uniqueness constraints
# are what make adding a user and following someone atomic across processes: a second
# CREATE of a name fails, and MERGE on a constrained key takes the key's lock.
ACCOUNT_CONSTRAINTS = [
    "CREATE CONSTRAINT famgraph_user_name IF NOT EXISTS "
    "FOR (u:FamgraphUser) REQUIRE u.name IS UNIQUE",
    "CREATE CONSTRAINT famgraph_follow_key IF NOT EXISTS "
    "FOR (f:FamgraphFollow) REQUIRE (f.user, f.person_id) IS UNIQUE",
    "CREATE INDEX famgraph_grant_user IF NOT EXISTS FOR (g:FamgraphGrant) ON (g.user)",
]

# Whether Neo4j answers again, asked off the event loop while the accounts wait for it.
ACCOUNTS_PROBE = "RETURN 1 AS up"

# Add one user; the constraint on the name refuses one already taken.
CREATE_ACCOUNT_USER = "CREATE (u:FamgraphUser) SET u = $row"

# One user's public fields.
ACCOUNT_USER = (
    "MATCH (u:FamgraphUser {name: $name}) RETURN u.name AS name, "
    "u.display_name AS display_name, u.agency AS agency, u.role AS role, u.team AS team"
)

# One user's password hash and TOTP secret.
ACCOUNT_CREDENTIALS = (
    "MATCH (u:FamgraphUser {name: $name}) "
    "RETURN u.password_hash AS password_hash, u.totp_secret AS totp_secret"
)

# Replace one user's password hash (a rehash with newer parameters).
REHASH_ACCOUNT_USER = (
    "MATCH (u:FamgraphUser {name: $name}) SET u.password_hash = $hash"
)

# Use one TOTP step if it is later than the last one used; 1 row if it was. Writing
# `totp_lock` first takes the user's write lock, so the step is read only once any other
# sign-in's write has committed (Neo4j reads committed data, and a plain read-then-write
# would let two sign-ins with one code both win).
USE_TOTP_STEP = (
    "MATCH (u:FamgraphUser {name: $name}) SET u.totp_lock = true REMOVE u.totp_lock "
    "WITH u WHERE coalesce(u.totp_step, -1) < $step SET u.totp_step = $step "
    "RETURN u.name AS name"
)

# Add a grant to an existing user, in one statement: no user, no grant (0 rows).
ADD_ACCOUNT_GRANT = (
    "MATCH (u:FamgraphUser {name: $user}) "
    "CREATE (g:FamgraphGrant {user: $user, person_id: $person_id, until: $until, "
    "granted_by: $granted_by, reason: $reason}) RETURN g.person_id AS person_id"
)

# One user's grants that last past $moment, each person with the latest end.
LIVE_ACCOUNT_GRANTS = (
    "MATCH (g:FamgraphGrant {user: $user}) WHERE g.until > $moment "
    "RETURN g.person_id AS person_id, max(g.until) AS until"
)

# Follow one person unless already followed; since when the user follows them.
FOLLOW_PERSON = (
    "MERGE (f:FamgraphFollow {user: $user, person_id: $person_id}) "
    "ON CREATE SET f.since = $since RETURN f.since AS since"
)

# Stop following one person; 1 row if the user was following them.
UNFOLLOW_PERSON = (
    "MATCH (f:FamgraphFollow {user: $user, person_id: $person_id}) DELETE f "
    "RETURN $person_id AS person_id"
)

# Everyone one user follows, with since when, by person id.
FOLLOWED_PEOPLE = (
    "MATCH (f:FamgraphFollow {user: $user}) RETURN f.person_id AS person_id, "
    "f.since AS since ORDER BY person_id"
)
