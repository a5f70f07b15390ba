"""Web pages. Each page asks the GraphQL schema, so pages pass the same policy and audit."""

from __future__ import annotations

import ipaddress
import secrets
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import strawberry
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from graph.store import Store
from server.audit import AuditLog, AuditUnavailable
from server.auth import SESSION_COOKIE, Authenticator, TooManyAttempts
from server.budget import Budget, PeopleWatch
from server.context import REFUSED_NO_PURPOSE, Disclosure, RequestContext, document_hash
from server.errors import STORE_RETRY_AFTER
from server.following import Following
from server.graphql_view import viewer_of, watch
from server.policy import Purpose, Viewer
from server.settings import Mode, Settings
from server.sharing import AUDIT_READ, RESOLVE_IDENTITY, Category, SharingRules
from server.work_pages import landing_for
from viz import front_door
from viz.family_table import chart_data, family_rows
from viz.genogram import uk_date, without_bidi_controls

TEMPLATES = Path(__file__).resolve().parent.parent / "viz" / "templates"

GENOGRAM_FIELDS = """
fragment GenogramFields on Genogram {
  subjectId asOf
  nodes { generation relationshipToSubject isSubject
          person { id displayName sex birthDate deathDate } }
  edges { kind sourceId targetId subtype status validFrom validTo provenance
          sources { system recordId } }
  household nodesWithheld svg
}
"""
PERSON_PAGE = (
    GENOGRAM_FIELDS
    + """
query PersonPage($id: ID!, $depth: Int!) {
  person(id: $id) {
    id displayName nameOnly sex birthDate nhsNumber upn sources { system recordId asOf }
    household {
      asOf addressWithheld membersWithheld address { line1 line2 town postcode sensitivity }
      alsoRecordedAt { since address { line1 line2 town postcode sensitivity } }
      alternativesWithheld
      members { relationshipToSubject since person { id displayName birthDate } }
    }
    servicesEngaged(scope: HOUSEHOLD) {
      relationshipToSubject service level start end
      person { id displayName }
      organisation { name }
      lead { name role team phone email }
      sources { system recordId asOf }
    }
    servicesWithheld(scope: HOUSEHOLD)
    school { organisation { name } lead { name role phone } sources { system recordId asOf } }
    gp { organisation { name } sources { system recordId asOf } }
    sourceCoverage { system state asOf withheld covers records }
    riskIndicators(scope: HOUSEHOLD) {
      relationshipToSubject kind kindWords from to summary summaryWords aboutRelationship
      person { id displayName }
      sources { system recordId asOf }
    }
    riskIndicatorsWithheld(scope: HOUSEHOLD)
    whoToAsk { leadAgency contact { name role email phone } }
    possibleDuplicates { count people { id displayName birthDate } peopleWithheld reviewItemIds }
    discrepancies { field assertions { value sources { system } } }
    genogram(depth: $depth) { ...GenogramFields }
    linkExplanation {
      records modelId recordsWithheld linksWithheld changesWithheld
      links { recordA recordB decidedBy reason probability matchWeight grade
              fields { field level weight } fieldsWithheld }
      changes { kind on records otherPersonId reason }
    }
  }
}
"""
)
EXPORT = (
    GENOGRAM_FIELDS
    + """
query Export($id: ID!) {
  person(id: $id) {
    id givenNames familyName sex birthDate deathDate nhsNumber upn nameOnly
    sources { system recordId }
    household {
      asOf addressWithheld membersWithheld address { line1 line2 town postcode uprn }
      members { relationshipToSubject since person { id displayName birthDate } }
    }
    servicesEngaged(scope: FAMILY) {
      relationshipToSubject service level start end status reason
      person { id displayName }
      organisation { name }
      lead { name role team phone email }
    }
    servicesWithheld(scope: FAMILY)
    riskIndicators(scope: FAMILY) {
      relationshipToSubject kind from to summary
      person { id displayName }
      sources { system recordId }
    }
    riskIndicatorsWithheld(scope: FAMILY)
    genogram(depth: 3) { ...GenogramFields }
  }
}
"""
)
# Codes that withhold one field and leave the rest of the answer standing.
PARTIAL_CODES = {"FIELD_NOT_PERMITTED"}
GENOGRAM_PAGE = (
    GENOGRAM_FIELDS
    + """
query GenogramPage($id: ID!, $depth: Int!, $asOf: Date, $collapse: [ID!]) {
  person(id: $id) {
    id displayName
    genogram(depth: $depth, asOf: $asOf, collapse: $collapse) {
      ...GenogramFields collapsed nodesCollapsed
    }
    servicesEngaged(scope: FAMILY, asOf: $asOf) {
      service level person { id } lead { name role phone }
    }
    servicesWithheld(scope: FAMILY, asOf: $asOf)
  }
}
"""
)
# The genogram page's default depth, and how many branches its address may fold away.
GENOGRAM_DEPTH = 3
MAX_COLLAPSED_BRANCHES = 20
SEARCH_PAGE = """
query SearchPage($name: String, $birthDate: Date, $postcode: String, $nhsNumber: String) {
  searchPeople(name: $name, birthDate: $birthDate, postcode: $postcode, nhsNumber: $nhsNumber,
               first: 50) {
    edges { node { score matched person { id displayName birthDate } } }
  }
}
"""


# The form cookie holds a random secret per browser; every state-changing form carries
# the token made from it (`Authenticator.form_token`). With Secure cookies the name takes
# the __Host- prefix, so no sibling subdomain can plant its own cookie and token.
FORM_COOKIE = "famgraph_form"
FORM_FIELD = "csrf_token"
# Fetch metadata a browser adds: a form posted from another site, or a sibling subdomain,
# is refused even before its token is looked at.
FOREIGN_SITES = {"cross-site", "same-site"}


class Pages:
    """Page handlers bound to one schema, store, audit log and authenticator."""

    def __init__(
        self,
        settings: Settings,
        schema: strawberry.Schema,
        store: Store,
        audit: AuditLog,
        auth: Authenticator,
        rules: SharingRules,
        budget: Budget,
        people: PeopleWatch,
        following: Following | None = None,
    ) -> None:
        self.settings, self.schema, self.store = settings, schema, store
        self.audit, self.auth, self.rules = audit, auth, rules
        self.budget, self.people, self.following = budget, people, following
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"])
        )
        # Names go in <bdi>; where markup cannot (a title, an aria-label) this filter
        # takes out the bidirectional controls that could show them reversed.
        self.env.filters["without_bidi_controls"] = without_bidi_controls
        add_filters(self.env)
        self.secure_cookies = secure_cookies(settings)
        self.form_cookie = f"__Host-{FORM_COOKIE}" if self.secure_cookies else FORM_COOKIE

    def render(
        self, name: str, request: Request, status: int = 200, *, new_form_cookie: bool = True,
        **values: Any,
    ) -> HTMLResponse:
        """A page, with the form token its forms carry; a browser without a form cookie
        is given one (unless `new_form_cookie` is False: a refused form changes nothing)."""
        browser_secret = request.cookies.get(self.form_cookie, "")
        fresh = "" if browser_secret else secrets.token_urlsafe(32)
        viewer = viewer_of(request, self.auth)
        page = self.env.get_template(name).render(
            demo=self.settings.mode is Mode.DEMO, viewer=viewer,
            nav=self.nav_for(viewer, request.url.path),
            csrf_token=self.auth.form_token(browser_secret or fresh), **values
        )
        response = HTMLResponse(
            page,
            status_code=status,
            headers={"Cache-Control": "no-store", "Content-Security-Policy": CSP},
        )
        if fresh and new_form_cookie:
            self._set_cookie(response, self.form_cookie, fresh, None)
        return response

    def reads_people(self, viewer: Viewer | None) -> bool:
        """Whether the viewer's agency agreement covers people at all (search, follow)."""
        return viewer is not None and Category.IDENTITY in self.rules.agreement(
            viewer.agency).categories

    def nav_for(self, viewer: Viewer | None, path: str = "") -> list[tuple[str, str, bool]]:
        """The service navigation: (label, url, current) for each page this viewer's agency,
        role and agreement open; none before sign-in."""
        if viewer is None:
            return []
        permissions = self.rules.permissions(viewer.role)
        links: list[tuple[str, str]] = []
        if self.reads_people(viewer):
            links.append(("Search", "/"))
        if RESOLVE_IDENTITY in permissions:
            links.append(("Identity review", "/review"))
        if AUDIT_READ in permissions:
            links.append(("Audit", "/audit"))
        if self.reads_people(viewer):
            links.append(("Followed people", "/following"))
        if self.rules.agreement(viewer.agency).break_glass:
            links.append(("Break glass", "/break-glass"))

        def current(url: str) -> bool:
            if url == "/":
                return path == "/" or path.startswith("/people/")
            return path == url or path.startswith(url + "/")

        return [(label, url, current(url)) for label, url in links]

    def _set_cookie(self, response: Response, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(
            name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
            secure=self.secure_cookies,
        )

    def _forged(self, request: Request, form: Any) -> Response | None:
        """A 403 page if a state-changing form was not sent by one of our own pages.

        Refused before anything else is looked at, so a forged sign-in counts towards
        no one's throttle and a forged sign-out ends no session.
        """
        token = str(form.get(FORM_FIELD, ""))
        foreign = request.headers.get("sec-fetch-site", "") in FOREIGN_SITES
        if not foreign and self.auth.form_token_ok(request.cookies.get(self.form_cookie, ""),
                                                   token):
            return None
        return self.render(
            "error.html", request, 403, new_form_cookie=False,
            title="Form not accepted",
            message="That form was sent from another site or has expired. Go back, reload"
                    " the page and try again.",
            correlation_id=None,
        )

    async def ask(
        self, viewer: Viewer, document: str, variables: dict[str, Any], operation: str = "page"
    ) -> tuple[dict[str, Any] | None, str | None, str]:
        """Run a page's query as the viewer: (data, error code, correlation id).

        Fields withheld with FIELD_NOT_PERMITTED come back null and the page stands;
        any other error fails the page, and a page that timed out shows nothing.
        `operation` is what the audit rows call the read (a file export names itself).
        """
        data, code, correlation, _ = await self.ask_explained(viewer, document, variables,
                                                             operation)
        return data, code, correlation

    async def ask_explained(
        self, viewer: Viewer, document: str, variables: dict[str, Any], operation: str = "page"
    ) -> tuple[dict[str, Any] | None, str | None, str, str | None]:
        """`ask`, with the failing error's message as the API gave it (a form shows why a
        mutation refused its input: the API's own words, never a second set of rules)."""
        disclosure = Disclosure(viewer, operation, document_hash(document), rules=self.rules)
        context = RequestContext(
            self.settings, self.store, disclosure, audit=self.audit, auth=self.auth,
            following=self.following,
        )
        result = await self.schema.execute(
            document, variable_values=variables, context_value=context
        )
        correlation = disclosure.correlation_id
        errors = [(str((e.extensions or {}).get("code", "INTERNAL")), e.message)
                  for e in result.errors or []]
        failing = [(code, message) for code, message in errors if code not in PARTIAL_CODES]
        outcome = "error" if failing else ("partial" if errors else "ok")
        try:
            await disclosure.commit_async(self.audit, outcome)
            watch(self.people, self.audit, disclosure)
        except AuditUnavailable:
            return None, "AUDIT_UNAVAILABLE", correlation, None
        if failing or result.data is None:
            code, message = failing[0] if failing else ("INTERNAL", "")
            return None, code, correlation, message or None
        return result.data, None, correlation, None

    def failure(self, request: Request, code: str, correlation: str) -> HTMLResponse:
        if code == "NOT_FOUND":
            return self.render(
                "error.html",
                request,
                404,
                title="No such person",
                message="No person has that id.",
                correlation_id=None,
            )
        if code == "AUDIT_UNAVAILABLE":
            return self.render(
                "error.html",
                request,
                503,
                title="Service unavailable",
                message="Nothing can be shown while the audit log cannot be written.",
                correlation_id=correlation,
            )
        if code == "STORE_UNAVAILABLE":
            busy = self.render(
                "error.html",
                request,
                503,
                title="Service unavailable",
                message="The records cannot be reached just now; try again in a moment.",
                correlation_id=correlation,
            )
            busy.headers["Retry-After"] = str(STORE_RETRY_AFTER)
            return busy
        if code == "FORBIDDEN":
            return self.render(
                "error.html",
                request,
                403,
                title="Not permitted",
                message="Your agency's agreement, role or purpose does not cover this.",
                correlation_id=correlation,
            )
        if code == "TIMEOUT":
            return self.render(
                "error.html",
                request,
                504,
                title="Took too long",
                message="The question took too long and was stopped; nothing is shown.",
                correlation_id=correlation,
            )
        if code == "BAD_USER_INPUT":
            return self.render(
                "error.html",
                request,
                400,
                title="Bad request",
                message="The page was asked for something it cannot show.",
                correlation_id=correlation,
            )
        return self.render(
            "error.html",
            request,
            500,
            title="Something went wrong",
            message="Unexpected error.",
            correlation_id=correlation,
        )

    async def _viewer_or_signin(
        self, request: Request, document: str, operation: str = "page"
    ) -> Viewer | Response:
        """The viewer who may ask the page's `document`, or the page to send instead: sign
        in, slow down, or choose a purpose (no purpose, no read: docs/security.md rule 13)."""
        viewer = viewer_of(request, self.auth)
        if viewer is None:
            return RedirectResponse(f"/signin?next={quote(request.url.path)}", status_code=303)
        wait = self.budget.take(viewer.user)
        if wait:
            response = self.render(
                "error.html", request, 429, title="Too many requests",
                message="You have asked a lot in a short time; wait a moment and retry.",
                correlation_id=None,
            )
            response.headers["Retry-After"] = str(int(wait))
            return response
        if viewer.purpose is None:
            return await self._no_purpose(request, viewer, document, operation)
        return viewer

    async def _no_purpose(
        self, request: Request, viewer: Viewer, document: str, operation: str = "page"
    ) -> Response:
        """Refuse a viewer who has chosen no purpose, with an audit row naming no person."""
        disclosure = Disclosure(viewer, operation, document_hash(document), rules=self.rules)
        disclosure.refuse_no_purpose()
        correlation = disclosure.correlation_id
        try:
            await disclosure.commit_async(self.audit, REFUSED_NO_PURPOSE)
        except AuditUnavailable:
            return self.failure(request, "AUDIT_UNAVAILABLE", correlation)
        return self.render(
            "error.html", request, 403,
            title="Choose a purpose of access",
            message="Nothing is shown without a purpose of access, and this sign-in names"
                    " none. Sign out, then sign in again and choose the purpose you are"
                    " working for; a token needs one named when it is made.",
            correlation_id=correlation,
        )

    async def export(self, request: Request) -> Response:
        """Everything the viewer may see about one person, as a JSON file."""
        viewer = await self._viewer_or_signin(request, EXPORT)
        if not isinstance(viewer, Viewer):
            return viewer
        data, code, correlation = await self.ask(
            viewer, EXPORT, {"id": request.path_params["person_id"]}
        )
        if data is None:
            return self.failure(request, code or "INTERNAL", correlation)
        person_id = quote(str(data["person"]["id"]), safe="")
        return JSONResponse(
            data["person"],
            headers={
                "Cache-Control": "no-store",
                "Content-Disposition": f'attachment; filename="famgraph-{person_id}.json"',
            },
        )

    async def search(self, request: Request) -> Response:
        form = {
            k: request.query_params.get(k, "").strip()
            for k in ("name", "birth_date", "postcode", "nhs_number")
        }
        someone = viewer_of(request, self.auth)
        if someone is not None and not self.reads_people(someone):
            # An auditor's agreement covers no one, whatever the purpose: say so, and point
            # to their own pages. Nothing is read, so there is nothing to audit.
            return self.render("search.html", request, form=form, results=None,
                               may_search=False)
        viewer = await self._viewer_or_signin(request, SEARCH_PAGE)
        if not isinstance(viewer, Viewer):
            return viewer
        if not any(form.values()):
            return self.render("search.html", request, form=form, results=None)
        limit = self.settings.max_argument_length
        too_long = [k for k, value in form.items() if len(value) > limit]
        if too_long:
            # Capped at the edge, as GraphQL arguments are: no search runs on a huge word.
            return self.render("search.html", request, 400, form={k: "" for k in form},
                               results=None, errors=[(too_long[0], f"Each search field is at"
                               f" most {limit} characters.")])
        birth = search_date(form["birth_date"]) if form["birth_date"] else None
        if form["birth_date"] and birth is None:
            return self.render(
                "search.html", request, 400, form=form, results=None,
                errors=[("birth_date", "Birth date must be a date, such as 9/3/2014 or"
                         " 2014-03-09.")],
            )
        variables = {
            "name": form["name"] or None,
            "birthDate": birth.isoformat() if birth else None,
            "postcode": form["postcode"] or None,
            "nhsNumber": form["nhs_number"] or None,
        }
        data, code, correlation = await self.ask(viewer, SEARCH_PAGE, variables)
        if data is None:
            return self.failure(request, code or "INTERNAL", correlation)
        results = [edge["node"] for edge in data["searchPeople"]["edges"]]
        return self.render("search.html", request, form=form, results=results,
                           name_searched=bool(form["name"]))

    async def person(self, request: Request) -> Response:
        viewer = await self._viewer_or_signin(request, PERSON_PAGE)
        if not isinstance(viewer, Viewer):
            return viewer
        variables = {"id": request.path_params["person_id"], "depth": 2}
        data, code, correlation = await self.ask(viewer, PERSON_PAGE, variables)
        if data is None:
            return self.failure(request, code or "INTERNAL", correlation)
        person = data["person"]
        services = person["servicesEngaged"]
        household = person["household"]
        return self.render(
            "person.html",
            request,
            person=person,
            may_follow=self.reads_people(viewer),
            services=services,
            folded=front_door.fold_services(services),
            contacts=front_door.who_to_call(services),
            ask_whom=front_door.ask_whom(person.get("whoToAsk")),
            restricted=front_door.is_restricted((household or {}).get("address")),
            # The viewer's own agreement: a system it shares whose coverage is withheld is
            # withheld for want of the sources category, which the page says in words.
            shared_systems=self.rules.agreement(viewer.agency).systems,
            wider=front_door.wider_family(person["genogram"], household),
            risks=front_door.newest_first(person["riskIndicators"]),
            explanation=person.get("linkExplanation"),
            genogram=person["genogram"],
            chart=chart_data(person["genogram"], [], f"/people/{quote(person['id'])}/genogram")
            if person["genogram"] else None,
        )

    async def genogram(self, request: Request) -> Response:
        """The family chart with its controls (`?asOf=`, `?depth=`, `?collapse=`) and the
        same family as a table; every answer comes from one GraphQL question."""
        viewer = await self._viewer_or_signin(request, GENOGRAM_PAGE)
        if not isinstance(viewer, Viewer):
            return viewer
        params = request.query_params
        limit = self.settings.max_genogram_depth
        default_depth = min(GENOGRAM_DEPTH, limit)
        problem = None
        try:
            depth = int(params.get("depth") or default_depth)
        except ValueError:
            depth = 0
        if not 1 <= depth <= limit:
            problem = f"Generations must be a whole number from 1 to {limit}."
        as_of_text = (params.get("asOf") or "").strip()
        try:
            as_of = date.fromisoformat(as_of_text) if as_of_text else None
        except ValueError:
            problem = "The date must be a real date, written like 2024-03-09."
        collapse = list(dict.fromkeys(
            part.strip() for value in params.getlist("collapse") for part in value.split(",")
            if part.strip()))
        if len(collapse) > MAX_COLLAPSED_BRANCHES:
            problem = f"At most {MAX_COLLAPSED_BRANCHES} branches can be hidden at once."
        elif any(len(pid) > self.settings.max_argument_length for pid in collapse):
            problem = "A hidden branch names a person id that is too long."
        if problem:
            return self.render("error.html", request, 400, title="Cannot draw that genogram",
                               message=problem + " Go back and change the date or the"
                               " number of generations.", correlation_id=None)
        variables = {"id": request.path_params["person_id"], "depth": depth,
                     "asOf": as_of.isoformat() if as_of else None, "collapse": collapse or None}
        data, code, correlation = await self.ask(viewer, GENOGRAM_PAGE, variables)
        if data is None:
            return self.failure(request, code or "INTERNAL", correlation)
        person = data["person"]
        genogram = person["genogram"]
        here = request.url.path

        def address(**change: Any) -> str:
            values = {"asOf": as_of.isoformat() if as_of else "", "depth": depth,
                      "collapse": ",".join(collapse)} | change
            if values["depth"] == default_depth:
                values["depth"] = ""
            query = urlencode({k: v for k, v in values.items() if v not in ("", None)}, safe=",")
            return f"{here}?{query}" if query else here

        names = {n["person"]["id"]: n["person"]["displayName"]
                 for n in (genogram or {}).get("nodes", [])}
        shown = list(genogram["collapsed"]) if genogram else []
        return self.render(
            "genogram.html",
            request,
            subject_name=person["displayName"],
            subject_id=person["id"],
            genogram=genogram,
            rows=family_rows(genogram, person["servicesEngaged"]) if genogram else [],
            services_withheld=person["servicesWithheld"] or 0,
            as_of=as_of.isoformat() if as_of else "",
            as_of_words=uk_date(date.fromisoformat(genogram["asOf"])) if genogram else "",
            depth=depth,
            max_depth=limit,
            collapse=",".join(collapse),
            more_url=address(depth=depth + 1) if depth < limit else None,
            fewer_url=address(depth=depth - 1) if depth > 1 else None,
            today_url=address(asOf="") if as_of else None,
            hidden_branches=[(names.get(pid, pid), address(
                collapse=",".join(c for c in collapse if c != pid))) for pid in shown],
            chart=chart_data(genogram, shown, address(collapse="")) if genogram else None,
        )

    async def signin_form(self, request: Request) -> Response:
        return self.render(
            "signin.html",
            request,
            next=_safe_next(request.query_params.get("next")),
            purposes=list(Purpose),
            error=None,
        )

    async def signin(self, request: Request) -> Response:
        form = await request.form()
        forged = self._forged(request, form)
        if forged is not None:
            return forged
        next_path = _safe_next(str(form.get("next") or "/"))
        try:
            # Before the password: a form without a purpose uses up no one-time code.
            purpose: Purpose | None = Purpose(str(form.get("purpose", "")))
        except ValueError:
            purpose = None
        try:
            user = None if purpose is None else await self.auth.sign_in(
                str(form.get("user", "")), str(form.get("password", "")),
                str(form.get("code", "")), request.client.host if request.client else "",
            )
        except TooManyAttempts as slow_down:
            wait = str(int(slow_down.retry_after))
            slow = self.render(
                "signin.html", request, 429, next=next_path, purposes=list(Purpose),
                error=f"Too many sign-in attempts. Wait {wait} seconds, then try again.",
            )
            slow.headers["Retry-After"] = wait
            return slow
        if user is None or purpose is None:
            return self.render(
                "signin.html", request, 401, next=next_path, purposes=list(Purpose),
                error="That user name, password, one-time code or purpose was not accepted.",
            )
        if not self.rules.agreement(user.agency).purposes:
            purpose = None  # an agency acting for no purpose (auditors) reads no one
        elif not self.rules.may_use(user.agency, purpose):
            # Said here, not left to a session that reads nothing: the sharing file names
            # the purposes each agency acts for.
            allowed = sorted(p.value.replace("_", " ")
                             for p in self.rules.agreement(user.agency).purposes)
            return self.render(
                "signin.html", request, 403, next=next_path, purposes=list(Purpose),
                error=f"Your agency may not act for {purpose.value.replace('_', ' ')}; it may"
                      f" act for: {', '.join(allowed) or 'no purpose (it reads no one)'}.",
            )
        session = self.auth.issue(user, purpose)
        if next_path == "/":
            next_path = landing_for(self.auth.viewer(session))
        response = RedirectResponse(next_path, status_code=303)
        self._set_cookie(response, SESSION_COOKIE, session, int(self.settings.token_hours * 3600))
        # A new form secret with the new session: one planted before sign-in is of no use.
        self._set_cookie(response, self.form_cookie, secrets.token_urlsafe(32), None)
        return response

    async def signout(self, request: Request) -> Response:
        forged = self._forged(request, await request.form())
        if forged is not None:
            return forged
        response = RedirectResponse("/signin", status_code=303)
        for name in (SESSION_COOKIE, self.form_cookie):
            response.delete_cookie(name, path="/", secure=self.secure_cookies, httponly=True,
                                   samesite="strict")
        return response


# Pages load only what famgraph serves: no CDN, no inline script but JSON data blocks.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'"
)


def secure_cookies(settings: Settings) -> bool:
    """Cookies are Secure except in demo or development mode listening on loopback, where
    a browser on the same machine talks plain HTTP to it."""
    if settings.mode is Mode.PRODUCTION:
        return True
    try:
        return not ipaddress.ip_address(settings.host).is_loopback
    except ValueError:
        return settings.host != "localhost"


def add_filters(env: Environment) -> None:
    """The words pages write dates, ages and codes in (viz/front_door.py)."""
    env.filters["uk_date"] = front_door.uk_date
    env.filters["age"] = front_door.age
    env.filters["born"] = front_door.born_words
    env.filters["risk_words"] = front_door.risk_words
    env.filters["plural"] = front_door.plural
    env.globals["matched_words"] = front_door.matched_words


def search_date(text: str) -> date | None:
    """A birth date typed as 2014-03-09 or 9/3/2014 (day first, as in the UK).

    >>> search_date("9/3/2014"), search_date("2014-03-09"), search_date("31/02/2014")
    (datetime.date(2014, 3, 9), datetime.date(2014, 3, 9), None)
    """
    try:
        if "/" in text:
            day, month, year = (int(part) for part in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        return None


def _safe_next(path: str | None) -> str:
    """Only local paths, so sign-in cannot be used to bounce a user to another site."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path
