"""Pages for each user's work beyond the front door: the auditor's log, the identity review
queue, a person's chronology, the people a user follows, and break-glass.

Every page asks the GraphQL schema through `Pages.ask` (or `Pages.ask_explained`, which
also gives the API's own words for a refused input), so the one access policy decides
what is shown and the audit log records each read, as on every other page. The API
decides who may do what: a page never decides a permission itself, it shows the API's
refusal in words. Forms that change something are POSTs carrying the form token, checked
before anything else exactly as sign-in and sign-out check it (`Pages._forged`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.audit import anchor_of
from server.auth import SESSION_COOKIE
from server.errors import BadArgument
from server.graphql_view import viewer_of
from server.policy import BREAK_GLASS_MAX_HOURS, Viewer
from server.schema.access import check_break_glass
from server.schema.relay import cursor_of
from server.sharing import AUDIT_READ
from viz.genogram import uk_date

if TYPE_CHECKING:
    from server.pages import Pages

UK = ZoneInfo("Europe/London")
AUDIT_ROWS = 100  # the most the API gives a page (MAX_AUDIT_PAGE)
AUDIT_REVIEWS = 50
REVIEW_PAGE = 20
CHRONOLOGY_PAGE = 100  # the most one connection page holds
FOLLOWING_PAGE = 100
CHANGES_PAGE = 100
CHANGES_DAYS = 90  # the following page shows changes learned in this many days
BREAK_GLASS_HOURS = (0.5, 1.0, 2.0, 3.0, 4.0)
SCOPES = ("CHILD", "HOUSEHOLD", "FAMILY")

AUDIT_ENTRY = """
fragment AuditRow on AuditEntry {
  time user role agency purpose basis operation personId returned withheld outcome
  correlationId breakGlass
}
"""
AUDIT_HOME = """
query AuditHome($first: Int!) { auditReviews(first: $first) { time kind user detail } }
"""
AUDIT_OF_PERSON = AUDIT_ENTRY + """
query AuditOfPerson($personId: ID!, $first: Int!) {
  auditOfPerson(personId: $personId, first: $first) { ...AuditRow }
}
"""
AUDIT_OF_USER = AUDIT_ENTRY + """
query AuditOfUser($user: String!, $first: Int!) {
  auditOfUser(user: $user, first: $first) { ...AuditRow }
}
"""
REVIEW_QUEUE = """
query ReviewQueue($first: Int!, $after: String) {
  reviewQueue(first: $first, after: $after) {
    edges { node {
      id recordA recordB probability matchWeight grade raisedOn evidenceWithheld
      evidence { field level weight }
      personA { id displayName birthDate sex sources { system recordId } }
      personB { id displayName birthDate sex sources { system recordId } }
    } }
    withheld pageInfo { hasNextPage endCursor }
  }
}
"""
DECIDE = """
mutation Decide($a: String!, $b: String!, $reason: String!, $link: Boolean!) {
  linkRecords(recordA: $a, recordB: $b, reason: $reason) @include(if: $link) {
    decisionId action changed personsWithheld persons { id displayName }
  }
  unlinkRecords(recordA: $a, recordB: $b, reason: $reason) @skip(if: $link) {
    decisionId action changed personsWithheld persons { id displayName }
  }
}
"""
CHRONOLOGY = """
query Chronology($id: ID!, $scope: Scope!, $from: Date, $to: Date, $first: Int!,
                 $after: String) {
  person(id: $id) {
    id displayName
    chronology(scope: $scope, from: $from, to: $to, first: $first, after: $after) {
      totalCount withheld
      edges { node { date kind summary relationshipToSubject
                     person { id displayName } sources { system recordId } } }
    }
  }
}
"""
FOLLOWING = """
query Following($first: Int!, $since: DateTime!, $changes: Int!, $after: String) {
  following(first: $first) {
    edges { node { since person { id displayName birthDate } } }
    withheld pageInfo { hasNextPage }
  }
  changes(since: $since, first: $changes, after: $after) {
    edges { node {
      id kind recordedAt effective
      person { id displayName } otherPerson { id displayName } otherPersonWithheld
      relationshipToPerson address { line1 town postcode } addressWithheld
      service { service level }
    } }
    withheld pageInfo { hasNextPage endCursor }
  }
}
"""
FOLLOW = "mutation Follow($id: ID!) { follow(personId: $id) { since person { id } } }"
UNFOLLOW = "mutation Unfollow($id: ID!) { unfollow(personId: $id) }"
BREAK_GLASS = """
mutation BreakGlass($reason: String!, $hours: Float!) {
  breakGlass(reason: $reason, hours: $hours) { token expiresAt }
}
"""

CHANGE_WORDS = {
    "NEW_ADULT_IN_HOUSEHOLD": "New adult in the household",
    "CHILD_MOVED": "Moved address",
    "SERVICE_STARTED": "Service started",
    "SERVICE_ENDED": "Service ended",
    "DOMESTIC_ABUSE_NOTIFICATION": "Domestic abuse notification",
}


def landing_for(viewer: Viewer) -> str:
    """The page a user's role works from, where sign-in sends them when no other page was
    asked for: an auditor (who reads the log, not people) the audit log, others search."""
    if AUDIT_READ in viewer.permissions and viewer.purpose is None:
        return "/audit"
    return "/"


def uk_time(text: str | None) -> str:
    """An API date-time (UTC) as UK practice writes it, in UK time: 3 Dec 2026, 14:05."""
    if not text:
        return ""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(UK)
    return f"{uk_date(local.date())}, {local:%H:%M}"


def uk_day(text: str | None) -> str:
    """An API date as UK practice writes it: 4 Mar 2019."""
    return uk_date(date.fromisoformat(text)) if text else ""


def words(value: str | None) -> str:
    """An API name (break_glass, CHILD_MOVED) as words."""
    return (value or "").replace("_", " ").lower()


@dataclass(frozen=True, slots=True)
class ChainState:
    """What the server can say cheaply about the audit log's signed head: no personal
    data, only counts, a hash and when it was signed."""

    rows: int
    reviews: int
    signed_at: str
    head_hash: str
    signature_holds: bool


def chain_state(audit_path: Any) -> ChainState | None:
    """The log's signed head and whether its signature holds against the key beside the
    log; None if the log has no head yet. Reads the head only: the full check, every row
    and checkpoint, is `famgraph audit verify`."""
    anchor = anchor_of(audit_path)
    if anchor is None:
        return None
    head = anchor.head
    return ChainState(rows=head.rows, reviews=head.reviews, signed_at=uk_time(head.time),
                      head_hash=head.hash[:16], signature_holds=head.signed_by(anchor.public()))


class WorkPages:
    """The work pages, over the same `Pages` (schema, audit log, authenticator, templates)."""

    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        pages.env.filters.setdefault("uk_time", uk_time)
        pages.env.filters.setdefault("uk_day", uk_day)
        pages.env.filters.setdefault("words", words)

    # --- who is asking ----------------------------------------------------------------

    async def _signed_in(self, request: Request) -> Viewer | Response:
        """The signed-in viewer, with or without a purpose (auditors read the log, not
        people, and act for none; the API decides what they may read), or the page to
        send instead: sign in, or slow down."""
        viewer = viewer_of(request, self.pages.auth)
        if viewer is None:
            return RedirectResponse(f"/signin?next={quote(request.url.path)}", status_code=303)
        wait = self.pages.budget.take(viewer.user)
        if wait:
            response = self.pages.render(
                "error.html", request, 429, title="Too many requests",
                message="You have asked a lot in a short time; wait a moment and retry.",
                correlation_id=None,
            )
            response.headers["Retry-After"] = str(int(wait))
            return response
        return viewer

    def _refused(self, request: Request, title: str, message: str,
                 correlation: str | None) -> Response:
        return self.pages.render("error.html", request, 403, title=title, message=message,
                                 correlation_id=correlation)

    # --- auditors -----------------------------------------------------------------------

    async def audit(self, request: Request) -> Response:
        """The auditor's start: look up a person or a user, the reviews waiting, and the
        state of the log's signed head."""
        viewer = await self._signed_in(request)
        if not isinstance(viewer, Viewer):
            return viewer
        data, code, correlation = await self.pages.ask(
            viewer, AUDIT_HOME, {"first": AUDIT_REVIEWS}, "audit reviews page")
        if data is None:
            return self._audit_failure(request, code, correlation)
        # Only once the API has let this viewer read the log: the head says how long it is.
        chain = await asyncio.to_thread(chain_state, self.pages.audit.path)
        return self.pages.render("audit.html", request, reviews=data["auditReviews"],
                                 chain=chain, limit=AUDIT_REVIEWS)

    async def audit_person(self, request: Request) -> Response:
        """Who looked at one person, newest first."""
        viewer = await self._signed_in(request)
        if not isinstance(viewer, Viewer):
            return viewer
        person_id = request.query_params.get("person_id", "").strip()
        problem = self._field_problem(person_id, "a person id")
        if problem:
            return self.pages.render("audit_lookup.html", request, 400, kind="person",
                                     asked=person_id, rows=None, error=problem,
                                     limit=AUDIT_ROWS)
        data, code, correlation = await self.pages.ask(
            viewer, AUDIT_OF_PERSON, {"personId": person_id, "first": AUDIT_ROWS},
            "audit of person page")
        if data is None:
            return self._audit_failure(request, code, correlation)
        return self.pages.render("audit_lookup.html", request, kind="person", asked=person_id,
                                 rows=data["auditOfPerson"], error=None, limit=AUDIT_ROWS)

    async def audit_user(self, request: Request) -> Response:
        """Everything one user looked at, newest first."""
        viewer = await self._signed_in(request)
        if not isinstance(viewer, Viewer):
            return viewer
        user = request.query_params.get("user", "").strip()
        problem = self._field_problem(user, "a user name")
        if problem:
            return self.pages.render("audit_lookup.html", request, 400, kind="user",
                                     asked=user, rows=None, error=problem, limit=AUDIT_ROWS)
        data, code, correlation = await self.pages.ask(
            viewer, AUDIT_OF_USER, {"user": user, "first": AUDIT_ROWS}, "audit of user page")
        if data is None:
            return self._audit_failure(request, code, correlation)
        return self.pages.render("audit_lookup.html", request, kind="user", asked=user,
                                 rows=data["auditOfUser"], error=None, limit=AUDIT_ROWS)

    def _field_problem(self, value: str, what: str) -> str | None:
        if not value:
            return f"Enter {what}."
        limit = self.pages.settings.max_argument_length
        if len(value) > limit:
            return f"{what[0].upper()}{what[1:]} is at most {limit} characters."
        return None

    def _audit_failure(self, request: Request, code: str | None,
                       correlation: str) -> Response:
        if code == "FORBIDDEN":
            return self._refused(
                request, "Your role cannot read the audit log",
                "The audit log is for information governance: your role does not hold the"
                " permission to read it. Who looked at a person is kept on the log and read"
                " by auditors.", correlation)
        return self.pages.failure(request, code or "INTERNAL", correlation)

    # --- identity review ----------------------------------------------------------------

    async def review(self, request: Request) -> Response:
        """The pairs of records waiting for a person to say whether they are one human."""
        viewer = await self.pages._viewer_or_signin(request, REVIEW_QUEUE)
        if not isinstance(viewer, Viewer):
            return viewer
        return await self._review_page(request, viewer)

    async def _review_page(self, request: Request, viewer: Viewer, status: int = 200,
                           errors: dict[str, str] | None = None,
                           form: dict[str, str] | None = None,
                           done: dict[str, Any] | None = None) -> Response:
        after = request.query_params.get("after") or None
        if after and len(after) > self.pages.settings.max_argument_length:
            after = None
        data, code, correlation = await self.pages.ask(
            viewer, REVIEW_QUEUE, {"first": REVIEW_PAGE, "after": after}, "review queue page")
        if data is None:
            return self._review_failure(request, code, correlation)
        queue = data["reviewQueue"]
        pairs = [edge["node"] for edge in queue["edges"]]
        for n, pair in enumerate(pairs, 1):
            pair["records"] = _records_side_by_side(pair)
            pair["anchor"] = f"pair-{n}"
        asked = (form or {}).get("pair")
        errored = next((p["anchor"] for p in pairs if p["id"] == asked), None)
        return self.pages.render(
            "review.html", request, status, pairs=pairs, withheld=queue["withheld"],
            next_url=("/review?" + urlencode({"after": queue["pageInfo"]["endCursor"]})
                      if queue["pageInfo"]["hasNextPage"] else None),
            errors=errors or {}, form=form or {}, done=done, after=after or "",
            errored=errored,
        )

    def _review_failure(self, request: Request, code: str | None,
                        correlation: str) -> Response:
        if code == "FORBIDDEN":
            return self._refused(
                request, "Your role cannot resolve identities",
                "Only roles that may decide which records are one person see the review"
                " queue. Ask your team manager who does this in your agency.", correlation)
        return self.pages.failure(request, code or "INTERNAL", correlation)

    async def review_decide(self, request: Request) -> Response:
        """Link or unlink the two records of a pair, with a reason (POST, form token)."""
        form = await request.form()
        forged = self.pages._forged(request, form)
        if forged is not None:
            return forged
        viewer = await self.pages._viewer_or_signin(request, DECIDE)
        if not isinstance(viewer, Viewer):
            return viewer
        values = {k: str(form.get(k, "")).strip()
                  for k in ("pair", "record_a", "record_b", "action", "reason")}
        errors: dict[str, str] = {}
        if values["action"] not in ("link", "unlink"):
            errors["action"] = "Choose whether the two records are one person or two people."
        if not values["reason"]:
            errors["reason"] = "Enter a reason: say why, in words a reviewer can check."
        elif len(values["reason"]) > self.pages.settings.max_reason_length:
            errors["reason"] = (f"The reason is at most {self.pages.settings.max_reason_length}"
                                " characters.")
        if not values["record_a"] or not values["record_b"]:
            errors["record"] = "The form named no records: reload the queue and try again."
        if errors:
            return await self._review_page(request, viewer, 400, errors, values)
        link = values["action"] == "link"
        data, code, correlation, message = await self.pages.ask_explained(
            viewer, DECIDE, {"a": values["record_a"], "b": values["record_b"],
                             "reason": values["reason"], "link": link},
            "review decision")
        if data is None:
            if code == "BAD_USER_INPUT" and message:
                return await self._review_page(request, viewer, 400,
                                               {"reason": _sentence(message)}, values)
            return self._review_failure(request, code, correlation)
        outcome = data["linkRecords" if link else "unlinkRecords"]
        return await self._review_page(request, viewer, done=outcome | {
            "record_a": values["record_a"], "record_b": values["record_b"]})

    # --- chronology ---------------------------------------------------------------------

    async def chronology(self, request: Request) -> Response:
        """A person's chronology, newest first, between two dates, for a scope."""
        viewer = await self.pages._viewer_or_signin(request, CHRONOLOGY)
        if not isinstance(viewer, Viewer):
            return viewer
        person_id = request.path_params["person_id"]
        params = request.query_params
        form = {"from": params.get("from", "").strip(), "to": params.get("to", "").strip(),
                "scope": params.get("scope", "HOUSEHOLD").strip().upper() or "HOUSEHOLD"}
        errors: dict[str, str] = {}
        days: dict[str, str | None] = {}
        for key, label in (("from", "From"), ("to", "To")):
            try:
                days[key] = date.fromisoformat(form[key]).isoformat() if form[key] else None
            except ValueError:
                errors[key] = f"{label} date must be a real date, such as 2024-03-09."
                days[key] = None
        if form["scope"] not in SCOPES:
            errors["scope"] = "Choose whose events to show: the child, household or family."
        if not errors and days["from"] and days["to"] and days["from"] > days["to"]:
            errors["to"] = "To date must be the same as or after the from date."
        if errors:
            return self.pages.render("chronology.html", request, 400, person=None,
                                     person_id=person_id, entries=[], form=form,
                                     errors=errors, total=0, withheld=0, shown=0)
        variables: dict[str, Any] = {"id": person_id, "scope": form["scope"],
                                     "from": days["from"], "to": days["to"],
                                     "first": CHRONOLOGY_PAGE, "after": None}
        data, code, correlation = await self.pages.ask(viewer, CHRONOLOGY, variables,
                                                       "chronology page")
        if data is None:
            return self.pages.failure(request, code or "INTERNAL", correlation)
        found = data["person"]["chronology"]
        total = found["totalCount"]
        if total > CHRONOLOGY_PAGE:
            # The API gives oldest first; the newest page starts after the entry at
            # total - page - 1 (an offset cursor, as the API gives them).
            variables["after"] = cursor_of(total - CHRONOLOGY_PAGE - 1)
            data, code, correlation = await self.pages.ask(viewer, CHRONOLOGY, variables,
                                                           "chronology page")
            if data is None:
                return self.pages.failure(request, code or "INTERNAL", correlation)
            found = data["person"]["chronology"]
        entries = [edge["node"] for edge in reversed(found["edges"])]
        return self.pages.render(
            "chronology.html", request, person=data["person"], person_id=person_id,
            entries=entries, form=form, errors={}, total=found["totalCount"],
            withheld=found["withheld"], shown=len(entries))

    # --- following ----------------------------------------------------------------------

    async def following(self, request: Request) -> Response:
        """The people this user follows, and what famgraph learned about them lately."""
        viewer = await self.pages._viewer_or_signin(request, FOLLOWING)
        if not isinstance(viewer, Viewer):
            return viewer
        return await self._following_page(request, viewer)

    async def _following_page(self, request: Request, viewer: Viewer, status: int = 200,
                              notice: str | None = None) -> Response:
        since = datetime.now(UTC) - timedelta(days=CHANGES_DAYS)
        after = request.query_params.get("after") or None
        if after and len(after) > self.pages.settings.max_argument_length:
            after = None
        data, code, correlation = await self.pages.ask(
            viewer, FOLLOWING, {"first": FOLLOWING_PAGE, "since": since.isoformat(),
                                "changes": CHANGES_PAGE, "after": after}, "following page")
        if data is None:
            return self.pages.failure(request, code or "INTERNAL", correlation)
        changes = data["changes"]
        return self.pages.render(
            "following.html", request, status,
            people=[edge["node"] for edge in data["following"]["edges"]],
            people_withheld=data["following"]["withheld"],
            more_people=data["following"]["pageInfo"]["hasNextPage"],
            changes=[edge["node"] for edge in reversed(changes["edges"])],
            changes_withheld=changes["withheld"],
            later_url=("/following?" + urlencode({"after": changes["pageInfo"]["endCursor"]})
                       if changes["pageInfo"]["hasNextPage"] else None),
            since=uk_date(since.astimezone(UK).date()), change_words=CHANGE_WORDS,
            notice=notice,
        )

    async def follow(self, request: Request) -> Response:
        """Follow or unfollow one person (POST, form token: action=follow|unfollow,
        person_id, and optionally next, a local page to return to)."""
        form = await request.form()
        forged = self.pages._forged(request, form)
        if forged is not None:
            return forged
        viewer = await self.pages._viewer_or_signin(request, FOLLOW)
        if not isinstance(viewer, Viewer):
            return viewer
        action = str(form.get("action", ""))
        person_id = str(form.get("person_id", "")).strip()
        if action not in ("follow", "unfollow") or not person_id or \
                len(person_id) > self.pages.settings.max_argument_length:
            return self.pages.render(
                "error.html", request, 400, title="Bad request",
                message="The form must say follow or unfollow, and name one person.",
                correlation_id=None)
        document = FOLLOW if action == "follow" else UNFOLLOW
        data, code, correlation = await self.pages.ask(viewer, document, {"id": person_id},
                                                       f"{action} page")
        if data is None:
            return self.pages.failure(request, code or "INTERNAL", correlation)
        back = _local(str(form.get("next", "")))
        if back:
            return RedirectResponse(back, status_code=303)
        return RedirectResponse("/following", status_code=303)

    # --- break-glass --------------------------------------------------------------------

    async def break_glass_form(self, request: Request) -> Response:
        viewer = await self.pages._viewer_or_signin(request, BREAK_GLASS)
        if not isinstance(viewer, Viewer):
            return viewer
        return self._break_glass_page(request, viewer)

    def _break_glass_page(self, request: Request, viewer: Viewer, status: int = 200,
                          errors: dict[str, str] | None = None,
                          form: dict[str, str] | None = None) -> Response:
        glass = viewer.break_glass
        return self.pages.render(
            "break_glass.html", request, status, errors=errors or {},
            form=form or {"hours": "1"}, hours=[(f"{h:g}", _hours_words(h))
                                               for h in BREAK_GLASS_HOURS],
            max_hours=f"{BREAK_GLASS_MAX_HOURS:g}",
            active_until=(uk_time(datetime.fromtimestamp(glass.until, UTC).isoformat())
                          if glass and viewer.breaking_glass() else None),
            granted=None,
        )

    async def break_glass(self, request: Request) -> Response:
        """Break glass (POST, form token): the API checks the reason and the agreement; the
        session then carries the break-glass token until it ends."""
        form = await request.form()
        forged = self.pages._forged(request, form)
        if forged is not None:
            return forged
        viewer = await self.pages._viewer_or_signin(request, BREAK_GLASS)
        if not isinstance(viewer, Viewer):
            return viewer
        values = {"reason": str(form.get("reason", "")), "hours": str(form.get("hours", ""))}
        errors: dict[str, str] = {}
        try:
            hours = float(values["hours"])
        except ValueError:
            hours = 0.0
        if len(values["reason"]) > self.pages.settings.max_reason_length:
            errors["reason"] = (f"The reason is at most {self.pages.settings.max_reason_length}"
                                " characters.")
        else:
            # The API's own rules (`check_break_glass`), so the page says what it would.
            try:
                check_break_glass(values["reason"], hours)
            except BadArgument as refused:
                errors["reason" if refused.argument == "reason" else "hours"] = _sentence(
                    str(refused))
        if errors:
            return self._break_glass_page(request, viewer, 400, errors, values)
        data, code, correlation, message = await self.pages.ask_explained(
            viewer, BREAK_GLASS, {"reason": values["reason"], "hours": hours}, "break-glass")
        if data is None:
            if code == "FORBIDDEN":
                return self._refused(
                    request, "Break-glass is not allowed for your agency",
                    "Your agency's information-sharing agreement does not allow break-glass."
                    " If a child is at risk now, contact children's social care or the"
                    " police.", correlation)
            if code == "BAD_USER_INPUT" and message:
                return self._break_glass_page(request, viewer, 400,
                                              {"reason": _sentence(message)}, values)
            return self.pages.failure(request, code or "INTERNAL", correlation)
        granted = data["breakGlass"]
        response = self.pages.render(
            "break_glass.html", request, errors={}, form=values, hours=[], max_hours="",
            active_until=None,
            granted={"until": uk_time(granted["expiresAt"]), "hours": _hours_words(hours),
                     "reason": " ".join(values["reason"].split())},
        )
        # The session now speaks with the break-glass token, which ends with it: the user
        # signs in again afterwards, so restricted facts stop when the time is up.
        self.pages._set_cookie(response, SESSION_COOKIE, granted["token"], int(hours * 3600))
        return response


def _records_side_by_side(pair: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The two records' people, field by field: (field, record A, record B)."""
    a, b = pair.get("personA") or {}, pair.get("personB") or {}

    def shown(person: dict[str, Any], key: str) -> str:
        if not person:
            return "Withheld from you"
        value = person.get(key)
        if key == "birthDate":
            return uk_day(value) if value else "Withheld or not recorded"
        if key == "sex":
            return words(value) if value else "Withheld or not recorded"
        return str(value) if value else "Not recorded"

    return [(label, shown(a, key), shown(b, key)) for key, label in (
        ("id", "Person now"), ("displayName", "Name"), ("birthDate", "Date of birth"),
        ("sex", "Sex"))]


def _sentence(message: str) -> str:
    """An API message as a sentence: `argument reason must be at least 20 characters` as
    "Reason must be at least 20 characters.", `argument record no source record 'x' in the
    store` as "No source record 'x' in the store."."""
    text = message.removeprefix("argument ").strip()
    _, _, reason = text.partition(" ")
    if message.startswith("argument ") and reason.split(" ", 1)[0] not in (
            "must", "is", "are", "should"):
        text = reason
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _hours_words(hours: float) -> str:
    if hours == 0.5:
        return "30 minutes"
    return f"{hours:g} hour" + ("" if hours == 1 else "s")


def _local(path: str) -> str | None:
    """A local page to return to, or None (never another site)."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    return path
