"""A local HubSpot CRM API for tests, as strict as HubSpot where Savedesk relies on it: a
Bearer token, companies and owners in pages (`after` cursors), notes that must carry
`hs_timestamp` and a HUBSPOT_DEFINED note → company association (type 190) to a company
that exists, and company updates that may only set properties the portal defines. The real
`hubspot-api-client` talks to it over HTTP (`HUBSPOT_API_BASE`)."""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "pat-na1-savedesk-test"
PAGE = 2
STAMP = "2026-01-05T14:00:00.000Z"
COMPANY_SCHEMA = {
    "name", "domain", "savedesk_external_id", "savedesk_arr", "savedesk_renewal_date",
    "hubspot_owner_id", "savedesk_status", "savedesk_arr_saved", "savedesk_case_id",
}  # fmt: skip
STATUSES = {"saved", "churned", "moved_on", "reopened"}
SCOPES = {  # route → the scopes HubSpot accepts for it (any one of them)
    "companies:GET": {"crm.objects.companies.read"},
    "companies:PATCH": {"crm.objects.companies.write"},
    "owners:GET": {"crm.objects.owners.read"},
    "notes:POST": {"crm.objects.contacts.write"},  # notes: the contacts scopes (HubSpot docs)
    "notes/search:POST": {"crm.objects.contacts.read", "crm.objects.contacts.write"},
}
"""What each call needs of the private app's scopes, HubSpot answering 403 MISSING_SCOPES."""
_ids = itertools.count(1000)


class Failure(Exception):
    def __init__(self, status: int, message: str, category: str = "VALIDATION_ERROR") -> None:
        super().__init__(message)
        self.status, self.category = status, category


def _object(obj_id: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {"id": obj_id, "properties": properties, "createdAt": STAMP, "updatedAt": STAMP,
            "archived": False}  # fmt: skip


@dataclass
class HubSpotStandin:
    companies: dict[str, dict[str, Any]] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    notes: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail_updates: int = 0
    """Company updates to answer with HubSpot's 500, or `fail_status` (a failure after the
    note was made)."""
    fail_status: int = 500
    """What `fail_updates` answer: 500, or e.g. 429 (rate limited) or 423 (Locked)."""
    fail_notes: int = 0
    """Notes to answer with HubSpot's 500 without making them."""
    lose_note_answers: int = 0
    """Notes to make, then answer with a 502 (the answer lost on the way: made, not told)."""
    search_lag: bool = False
    """Notes made are not found by search until `index()` (HubSpot indexes in seconds)."""
    searches: list[dict[str, Any]] = field(default_factory=list)
    granted: set[str] = field(default_factory=lambda: set().union(*SCOPES.values()))
    """The token's scopes (every one the routes need, unless a test says otherwise)."""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._unindexed: set[str] = set()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                standin._serve(self, "GET")

            def do_POST(self) -> None:
                standin._serve(self, "POST")

            def do_PATCH(self) -> None:
                standin._serve(self, "PATCH")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_company(self, **properties: Any) -> str:
        company_id = str(next(_ids))
        self.companies[company_id] = {
            k: None if v is None else str(v) for k, v in properties.items()
        }
        return company_id

    def index(self) -> None:
        """HubSpot's search index catches up: every note can be found."""
        with self._lock:
            self._unindexed.clear()

    def _serve(self, http: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(http.path)
        length = int(http.headers.get("content-length") or 0)
        body = json.loads(http.rfile.read(length) or b"{}") if length else {}
        query = parse_qs(parts.query)
        with self._lock:
            try:
                if http.headers.get("authorization") != f"Bearer {TOKEN}":
                    raise Failure(
                        401, "Authentication credentials not found.", "INVALID_AUTHENTICATION"
                    )
                self._scopes(method, parts.path.rstrip("/"))
                status, answer = 200, self._route(method, parts.path.rstrip("/"), query, body)
                if method == "POST" and not parts.path.endswith("/search"):
                    status = 201  # made; a search answers 200
            except Failure as failure:
                status = failure.status
                answer = {"status": "error", "message": str(failure), "category": failure.category}
        data = json.dumps(answer).encode()
        http.send_response(status)
        http.send_header("content-type", "application/json")
        http.send_header("content-length", str(len(data)))
        http.end_headers()
        http.wfile.write(data)

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: dict) -> dict:
        if method == "GET" and path == "/crm/v3/objects/companies":
            wanted = [p for v in query.get("properties", []) for p in v.split(",")]
            rows = [_object(i, {k: c.get(k) for k in wanted}) for i, c in self.companies.items()]
            return self._page(rows, query, path)
        if method == "GET" and path == "/crm/v3/owners":
            rows = [{"id": i, "email": e, "firstName": "", "lastName": "", "userId": 1,
                     "createdAt": STAMP, "updatedAt": STAMP, "archived": False}
                    for i, e in self.owners.items()]  # fmt: skip
            return self._page(rows, query, path)
        if method == "POST" and path == "/crm/v3/objects/notes":
            if self.fail_notes:
                self.fail_notes -= 1
                raise Failure(500, "internal error", "INTERNAL_ERROR")
            note = self._note(body)
            if self.lose_note_answers:
                self.lose_note_answers -= 1
                raise Failure(502, "Bad Gateway", "BAD_GATEWAY")
            return note
        if method == "POST" and path == "/crm/v3/objects/notes/search":
            return self._search(body)
        if method == "PATCH" and (match := re.fullmatch(r"/crm/v3/objects/companies/(\d+)", path)):
            return self._update(match.group(1), body)
        raise Failure(404, f"no route {method} {path}", "OBJECT_NOT_FOUND")

    def _scopes(self, method: str, path: str) -> None:
        route = re.sub(r"^/crm/v3/(objects/)?|/\d+$", "", path) + f":{method}"
        needed = SCOPES.get(route)
        if needed is not None and not needed & self.granted:
            raise Failure(
                403,
                "This app hasn't been granted all required scopes to make this call. "
                f"Read more about required scopes here: {sorted(needed)}",
                "MISSING_SCOPES",
            )

    @staticmethod
    def _page(rows: list[dict], query: dict[str, list[str]], path: str) -> dict:
        start = int((query.get("after") or ["0"])[0])
        page = {"results": rows[start : start + PAGE]}
        if start + PAGE < len(rows):
            after = str(start + PAGE)
            page["paging"] = {"next": {"after": after, "link": f"{path}?after={after}"}}
        return page

    def _note(self, body: dict) -> dict:
        props = body.get("properties") or {}
        for required in ("hs_timestamp", "hs_note_body"):
            if not props.get(required):
                raise Failure(400, f"Property values were not valid: {required} is required")
        associations = body.get("associations") or []
        if not associations:
            raise Failure(400, "a note must be associated with a record")
        for association in associations:
            target = (association.get("to") or {}).get("id")
            types = association.get("types") or []
            if target not in self.companies:
                raise Failure(400, f"company {target} does not exist")
            if types != [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 190}]:
                raise Failure(400, f"invalid association types {types}")
        note = _object(str(next(_ids)), props)
        self.notes.append({**note, "company": associations[0]["to"]["id"]})
        if self.search_lag:
            self._unindexed.add(note["id"])
        return note

    def _search(self, body: dict) -> dict:
        """CRM search over notes: filters ANDed in a group, groups ORed (HubSpot's limits:
        5 groups, 6 filters each, limit up to 200); CONTAINS_TOKEN matches a whole word."""
        self.searches.append(body)
        groups = body.get("filterGroups") or []
        limit = body.get("limit", 10)
        if len(groups) > 5 or any(len(g.get("filters") or []) > 6 for g in groups):
            raise Failure(400, "too many filter groups or filters")
        if not isinstance(limit, int) or not 0 < limit <= 200:
            raise Failure(400, f"limit {limit!r} must be between 1 and 200")
        for group in groups:
            for f in group.get("filters") or []:
                if f.get("propertyName") not in ("hs_note_body", "hs_timestamp"):
                    raise Failure(400, f"unknown property {f.get('propertyName')!r}")
                if f.get("operator") not in ("CONTAINS_TOKEN", "EQ"):
                    raise Failure(400, f"unsupported operator {f.get('operator')!r}")
        searchable = [n for n in self.notes if n["id"] not in self._unindexed]
        found = [n for n in searchable if not groups or any(_matches(n, g) for g in groups)]
        wanted = body.get("properties") or []
        results = [
            _object(n["id"], {k: n["properties"].get(k) for k in wanted}) for n in found[:limit]
        ]
        return {"total": len(found), "results": results}

    def _update(self, company_id: str, body: dict) -> dict:
        if self.fail_updates:
            self.fail_updates -= 1
            raise Failure(self.fail_status, "internal error", "INTERNAL_ERROR")
        if company_id not in self.companies:
            raise Failure(
                404, "Object not found. objectId are usually numeric.", "OBJECT_NOT_FOUND"
            )
        props = body.get("properties") or {}
        for name, value in props.items():
            if name not in COMPANY_SCHEMA:
                raise Failure(
                    400, f'Property values were not valid: Property "{name}" does not exist'
                )
            if name == "savedesk_status" and value not in STATUSES:
                raise Failure(400, f"{value!r} was not one of the allowed options")
            if name == "savedesk_arr_saved" and not re.fullmatch(r"\d+(\.\d+)?", str(value)):
                raise Failure(400, f"{value!r} is not a valid number")
        self.companies[company_id].update(props)
        self.updates.append((company_id, props))
        return _object(company_id, self.companies[company_id])


def _matches(note: dict[str, Any], group: dict[str, Any]) -> bool:
    for f in group.get("filters") or []:
        value = str(note["properties"].get(f["propertyName"]) or "")
        if f["operator"] == "EQ" and value != f.get("value"):
            return False
        words = re.split(r"[^0-9A-Za-z]+", value.lower())
        if f["operator"] == "CONTAINS_TOKEN" and str(f.get("value")).lower() not in words:
            return False
    return True
